// The shop's users, in memory (a real shop would use its database). Validation answers a status and a message.
import { randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';

export interface User {
  email: string;
  username: string;
  passwordHash: string;
  token: string;
  active: boolean;
  createdAt: Date;
}

/** A refusal the browser is shown: 400 (bad input) or 409 (taken). */
export class RegistrationError extends Error {
  override name = 'RegistrationError';
  constructor(
    readonly statusCode: 400 | 409,
    message: string,
  ) {
    super(message);
  }
}

const EMAIL = /^[^\s@"<>(),;:\\[\]]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$/;
const USERNAME = /^[A-Za-z0-9_.-]{3,32}$/;

export interface Registration {
  email: string;
  username: string;
  password: string;
}

/** Checks a parsed request body; throws RegistrationError(400) naming the first problem. */
export function validateRegistration(body: unknown): Registration {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new RegistrationError(400, 'Send a JSON object { email, username, password }.');
  const b = body as Record<string, unknown>;
  for (const field of ['email', 'username', 'password'] as const) {
    if (b[field] === undefined || b[field] === null || b[field] === '') throw new RegistrationError(400, `The ${field} is missing.`);
    if (typeof b[field] !== 'string') throw new RegistrationError(400, `The ${field} must be text.`);
  }
  const email = (b.email as string).trim();
  const username = (b.username as string).trim();
  const password = b.password as string;
  if (email.length > 254 || !EMAIL.test(email)) throw new RegistrationError(400, `"${email.slice(0, 60)}" is not a valid e-mail address.`);
  if (!USERNAME.test(username)) throw new RegistrationError(400, 'The username must be 3 to 32 letters, digits, dots, dashes or underscores.');
  if (password.length < 8 || password.length > 200) throw new RegistrationError(400, 'The password must be 8 to 200 characters long.');
  return { email, username, password };
}

export class UserStore {
  private readonly byName = new Map<string, User>();
  private readonly byToken = new Map<string, User>();

  /** Validates and stores a new user (inactive, with an activation token). */
  register(body: unknown): User {
    const { email, username, password } = validateRegistration(body);
    const key = username.toLowerCase();
    if (this.byName.has(key)) throw new RegistrationError(409, `The username "${username}" is taken.`);
    for (const u of this.byName.values()) if (u.email.toLowerCase() === email.toLowerCase()) throw new RegistrationError(409, `${email} already has an account.`);
    const salt = randomBytes(16);
    const user: User = {
      email,
      username,
      passwordHash: `${salt.toString('hex')}:${scryptSync(password, salt, 32).toString('hex')}`,
      token: randomBytes(24).toString('base64url'),
      active: false,
      createdAt: new Date(),
    };
    this.byName.set(key, user);
    this.byToken.set(user.token, user);
    return user;
  }

  /** Activates the user of a token; null when the token is unknown. A link followed twice stays active. */
  activate(token: string): User | null {
    const user = this.byToken.get(token);
    if (!user) return null;
    user.active = true;
    return user;
  }

  /** Removes the users not activated within `ttlMs` of registering; returns their usernames. */
  removeUnactivated(ttlMs: number, now = Date.now()): string[] {
    const removed: string[] = [];
    for (const [key, u] of this.byName) {
      if (u.active || now - u.createdAt.getTime() < ttlMs) continue;
      this.byName.delete(key);
      this.byToken.delete(u.token);
      removed.push(u.username);
    }
    return removed;
  }

  get(username: string): User | undefined {
    return this.byName.get(username.toLowerCase());
  }

  checkPassword(user: User, password: string): boolean {
    const [salt, hash] = user.passwordHash.split(':') as [string, string];
    return timingSafeEqual(scryptSync(password, Buffer.from(salt, 'hex'), 32), Buffer.from(hash, 'hex'));
  }
}
