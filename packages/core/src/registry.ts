// Task names → definitions. Only registered names ever run: nothing from a message is evaluated.
import { ConfigurationError, NotRegisteredError } from './errors';
import type { TaskDefinition } from './task';

export class TaskRegistry {
  readonly #tasks = new Map<string, TaskDefinition>();

  register(def: TaskDefinition): void {
    if (typeof def.name !== 'string' || !def.name.trim()) {
      throw new ConfigurationError(`Expected task name to be a non-empty string, got \`${String(def.name)}\``);
    }
    if (typeof def.fn !== 'function') {
      throw new ConfigurationError(`Task "${def.name}": expected a function, got ${typeof def.fn}`);
    }
    const existing = this.#tasks.get(def.name);
    if (existing && existing.fn !== def.fn) {
      // NOTE: an error, not a replacement: two modules defining one name is a bug that would otherwise run the
      // wrong function silently. Hot reload and repeated test modules call unregister(name) first.
      throw new ConfigurationError(
        `Task "${def.name}" is already registered with another function; task names must be unique (to replace it, call app.registry.unregister("${def.name}") first)`,
      );
    }
    this.#tasks.set(def.name, def);
  }

  /** Forgets a task (hot reload, repeated test modules); the name can be registered again. Returns whether it was there. */
  unregister(name: string): boolean {
    return this.#tasks.delete(name);
  }

  get(name: string): TaskDefinition | undefined {
    return this.#tasks.get(name);
  }

  require(name: string): TaskDefinition {
    const def = this.#tasks.get(name);
    if (!def) throw new NotRegisteredError(name);
    return def;
  }

  has(name: string): boolean {
    return this.#tasks.has(name);
  }

  names(): string[] {
    return [...this.#tasks.keys()].sort();
  }
}
