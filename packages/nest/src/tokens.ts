// Injection tokens and metadata keys of @celeriac/nest.
import { Inject } from '@nestjs/common';

/** The token of the module's celeriac app (`Celeriac`): `@InjectCeleriac()` or `moduleRef.get(CELERIAC_APP)`. */
export const CELERIAC_APP = Symbol.for('celeriac:nest:app');
export const TASK_METADATA = 'celeriac:nest:task';
export const TASK_EVENT_METADATA = 'celeriac:nest:task-event';
export const PERIODIC_METADATA = 'celeriac:nest:periodic';

/** Injects the module's app: `constructor(@InjectCeleriac() private readonly celeriac: Celeriac) {}`. */
export const InjectCeleriac = (): ParameterDecorator & PropertyDecorator => Inject(CELERIAC_APP);
