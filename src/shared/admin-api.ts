/** The JSON of the users' administration and the status page, shared by the server and the pages' script. */
import { z } from 'zod';
import { ROLES, type Role } from './roles.ts';

export const createUserBody = z.strictObject({
  email: z.string().min(1).max(254),
  password: z.string().min(1).max(1024),
  role: z.enum(ROLES).default('editor'),
});

export const changeUserBody = z
  .strictObject({ role: z.enum(ROLES).optional(), disabled: z.boolean().optional(), password: z.string().min(1).max(1024).optional() })
  .refine((body) => Object.keys(body).length > 0, { message: 'Give at least one of role, disabled, password.' });

export interface UserView {
  id: number;
  email: string;
  role: Role;
  disabled: boolean;
  created_at: string;
}

/** The kinds the status always shows (DESIGN's four), whether or not any upload of them exists yet. */
export const STATUS_KINDS = ['video', 'photo', 'cover', 'thumbnail'] as const;

export interface StatusView {
  storage: { driver: 'local' | 's3'; bucket: string | null };
  /** Objects saved in the library: completed uploads that a record uses, by kind. */
  totals: Record<(typeof STATUS_KINDS)[number], { count: number; bytes: number }>;
  uploads: { in_progress: number; completed_24h: number; failed_24h: number };
  recent_failures: { at: string; kind: string; filename: string; code: string; message: string }[];
}

export interface CheckVerdict {
  status: 'pass' | 'fail' | 'skip';
  check: string;
  message: string;
}
