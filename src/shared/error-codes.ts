/**
 * Every `code` an error answer `{error: {code, message}}` can carry: the API's contract, and the
 * keys of the `errors` catalog that says them in the reader's language. A code not listed here
 * does not compile, so a new error always gets its French and English message.
 */
export const STORAGE_ERROR_CODES = [
  'no_such_upload',
  'invalid_part',
  'entity_too_small',
  'offset_mismatch',
  'precondition_failed',
  'url_voided',
  'access_denied',
  'invalid_credentials',
  'signature_mismatch',
  'no_such_bucket',
  'clock_skew',
  'unavailable',
  'store_error',
] as const;
export type StorageErrorCode = (typeof STORAGE_ERROR_CODES)[number];

export const ERROR_CODES = [
  // Input
  'invalid_request',
  'invalid_json',
  'invalid_url',
  'invalid_id',
  'invalid_cursor',
  'cursor_mismatch',
  'invalid_filename',
  'invalid_email',
  'invalid_password',
  'weak_password',
  'invalid_name',
  'invalid_scope',
  'invalid_events',
  'invalid_webhook_url',
  'webhook_target_refused',
  'uri_too_long',
  'headers_too_large',
  'malformed_request',
  'too_large',
  'unsupported_type',
  'unsupported_media_type',
  'empty_file',
  'wrong_kind',
  // Who may do what
  'unauthorized',
  'invalid_token',
  'bad_credentials',
  'csrf_failed',
  'forbidden',
  'admin_only',
  'insufficient_scope',
  'rate_limited',
  // Things that are not there, or not in that state
  'not_found',
  'setup_link_spent',
  'user_not_found',
  'token_not_found',
  'webhook_not_found',
  'delivery_not_found',
  'conflict',
  'email_taken',
  'last_admin',
  'upload_expired',
  'upload_aborted',
  'upload_completed',
  'upload_in_use',
  'upload_not_completed',
  // Uploads and the stored object
  'invalid_part_size',
  'invalid_part_number',
  'missing_parts',
  'object_missing',
  'object_rejected',
  'object_replaced',
  'content_mismatch',
  // The local store's own answers to a PUT or GET
  'content_type_mismatch',
  'incomplete_body',
  'invalid_range',
  'invalid_key',
  'bad_digest',
  'url_expired',
  'no_such_key',
  'range_not_satisfiable',
  ...STORAGE_ERROR_CODES,
  // The server
  'not_ready',
  'database_unavailable',
  'shutting_down',
  'internal_error',
] as const;

/** A store failure seen through the API is `storage_<code>` (its own codes are the store's words). */
export type ErrorCode = (typeof ERROR_CODES)[number] | `storage_${StorageErrorCode}`;
