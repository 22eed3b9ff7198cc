/** The JSON of the users' administration and the status page, shared by the server and the pages' script. */
import { z } from 'zod';
import { ROLES } from './roles.ts';

export const createUserBody = z.strictObject({
  email: z.string().min(1).max(254),
  password: z.string().min(1).max(1024),
  role: z.enum(ROLES).default('editor'),
});

export const changeUserBody = z
  .strictObject({ role: z.enum(ROLES).optional(), disabled: z.boolean().optional(), password: z.string().min(1).max(1024).optional() })
  .refine((body) => Object.keys(body).length > 0, { message: 'Give at least one of role, disabled, password.' });

export const userView = z
  .object({ id: z.number().int(), email: z.string(), role: z.enum(ROLES), disabled: z.boolean(), created_at: z.iso.datetime() })
  .meta({ id: 'User' });
export type UserView = z.infer<typeof userView>;
export const userList = z.object({ users: z.array(userView) });

/** The kinds the status always shows (DESIGN's four), whether or not any upload of them exists yet. */
export const STATUS_KINDS = ['video', 'photo', 'cover', 'thumbnail'] as const;

const count = z.number().int();
const objects = z.object({ count, bytes: count });

export const statusView = z
  .object({
    storage: z.object({ driver: z.enum(['local', 's3']), bucket: z.string().nullable() }),
    /** Objects saved in the library: completed uploads that a record uses, by kind. */
    totals: z.object({ video: objects, photo: objects, cover: objects, thumbnail: objects }) satisfies z.ZodType<Record<(typeof STATUS_KINDS)[number], unknown>>,
    uploads: z.object({ in_progress: count, completed_24h: count, failed_24h: count }),
    recent_failures: z.array(z.object({ at: z.iso.datetime(), kind: z.string(), filename: z.string(), code: z.string(), message: z.string() })),
  })
  .meta({ id: 'Status' });
export type StatusView = z.infer<typeof statusView>;

export const checkVerdict = z.object({ status: z.enum(['pass', 'fail', 'skip']), check: z.string(), message: z.string() });
export type CheckVerdict = z.infer<typeof checkVerdict>;
export const checkVerdicts = z.object({ verdicts: z.array(checkVerdict) });
