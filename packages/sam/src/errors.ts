/** Error for a bad config, CLI flag or data file: the message names the field, the value and what is allowed. */
export class InputError extends Error {
  override name = "InputError";
}
