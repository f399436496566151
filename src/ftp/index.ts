/** Tandem FTP: the server (`tandem ftpd`), its config, jail and listings. */

export { DataChannel, type DataChannelOptions } from './data-channel.js';
export {
  defaultFtpConfig,
  type FtpServerConfig,
  type FtpServerFlags,
  type FtpUser,
  loadFtpConfig,
} from './ftp-config.js';
export { default as createFtpHandler } from './ftp-handler.js';
export { FTP_MODELS } from './ftp-models.js';
export { FtpJail, type JailPath } from './ftp-path.js';
export { FtpServer } from './ftp-server.js';
export { FtpSession, type SessionServices, type Transfer } from './ftp-session.js';
export { hashPassword, verifyPassword } from './password-hash.js';
