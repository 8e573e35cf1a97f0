import ipaddr from 'ipaddr.js';

/** Whether a client address is this machine (127.0.0.0/8, ::1, or IPv4-mapped forms of them). */
export function isLoopback(ip: string): boolean {
  try {
    return ipaddr.process(ip).range() === 'loopback';
  } catch {
    return false;
  }
}
