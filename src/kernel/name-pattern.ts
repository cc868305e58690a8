/** Names: campaigns and trunks, safe in Redis keys, job ids and file names. */
export const NAME_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;
