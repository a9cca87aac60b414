/**
 * The close reason of a publisher ended by an administrator (REST /stream/terminate).
 * The signaling session reads it to tell the page what WCS tells it: UNPUBLISHED
 * "Stopped by rest /terminate", not a failure of the stream.
 */
export const REST_TERMINATE_REASON = 'terminated by REST /stream/terminate';
