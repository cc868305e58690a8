export { DialerError } from './dialer-error.js';
