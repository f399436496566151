/** The models an FTP server runs on: each control connection is long-lived, so never `loop` or `thread`. */
export const FTP_MODELS = ['event', 'fork', 'prefork'] as const;

/** One of FTP_MODELS. */
export type FtpModel = (typeof FTP_MODELS)[number];
