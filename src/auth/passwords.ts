import argon2 from 'argon2';

export const MIN_PASSWORD_LENGTH = 10;

// argon2id with the library's defaults (64 MiB, 3 passes): OWASP's recommended floor.
export const hashPassword = (password: string) => argon2.hash(password, { type: argon2.argon2id });

export async function verifyPassword(hash: string, password: string): Promise<boolean> {
  try {
    return await argon2.verify(hash, password);
  } catch {
    return false;
  }
}

/** A hash of a random password, verified against when the email is unknown so timing does not tell. */
export const DUMMY_HASH = await hashPassword(crypto.randomUUID());
