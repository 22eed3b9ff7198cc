/** Who may do what: an admin everything and the users; an editor uploads, and edits or deletes their own items. */
export const ROLES = ['admin', 'editor'] as const;
export type Role = (typeof ROLES)[number];

/** An editor may change their own items; an admin anyone's. */
export const canEdit = (user: { id: number; role: Role }, item: { owner_id: number }) => item.owner_id === user.id || user.role === 'admin';
