/** The events a webhook endpoint can ask for (DESIGN.md): a library item created, updated or deleted. */
export const WEBHOOK_EVENTS = ['video.created', 'video.updated', 'video.deleted', 'photo.created', 'photo.updated', 'photo.deleted'] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENTS)[number];

export type ItemNoun = 'video' | 'photo';
export type ItemChange = 'created' | 'updated' | 'deleted';

/** The body every delivery carries: the event's type, when it happened, and the item as the API returns it. */
export interface WebhookBody {
  type: WebhookEventType;
  timestamp: string;
  data: unknown;
}

export const isWebhookEvent = (name: string): name is WebhookEventType => (WEBHOOK_EVENTS as readonly string[]).includes(name);
