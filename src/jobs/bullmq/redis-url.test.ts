import { describe, expect, it } from 'vitest';
import { displayQueueUrl, parseQueueUrl, QueueUrlError } from './redis-url.js';

describe('queue URLs', () => {
  it('passes a plain redis:// or rediss:// URL to ioredis as it is, and shows it without credentials', () => {
    const target = parseQueueUrl('redis://:s3cret@queue-host:6380/2');
    expect(target).toMatchObject({ url: 'redis://:s3cret@queue-host:6380/2', sentinel: false, display: 'redis://queue-host:6380/2' });
    expect(parseQueueUrl('rediss://queue-host').display).toBe('rediss://queue-host');
  });

  it('reads a Sentinel URL: sentinels (26379 by default), master name, database, passwords, TLS', () => {
    const target = parseQueueUrl('redis+sentinel://argus:p%40ss@10.0.0.1:26380,10.0.0.2,[::1]:26381/mymaster/3?sentinelPassword=sp&sentinelUsername=su&tls=true');
    expect(target.url).toBeUndefined();
    expect(target.sentinel).toBe(true);
    expect(target.options).toMatchObject({
      sentinels: [{ host: '10.0.0.1', port: 26380 }, { host: '10.0.0.2', port: 26379 }, { host: '::1', port: 26381 }],
      name: 'mymaster',
      db: 3,
      username: 'argus',
      password: 'p@ss',
      sentinelPassword: 'sp',
      sentinelUsername: 'su',
      tls: {},
      enableTLSForSentinelMode: true,
    });
    expect(target.display).toBe('redis+sentinel://10.0.0.1:26380,10.0.0.2,[::1]:26381/mymaster/3');
  });

  it('takes a password alone as the master password, as redis:// does', () => {
    expect(parseQueueUrl('redis+sentinel://:secret@h1/m').options).toMatchObject({ password: 'secret', username: undefined, db: 0 });
    expect(parseQueueUrl('redis+sentinel://secret@h1/m').options).toMatchObject({ password: 'secret', username: undefined });
  });

  it('says what is wrong with a bad URL, without echoing its password', () => {
    expect(() => parseQueueUrl('redis+sentinel://h1:26379')).toThrow(/names the master/);
    expect(() => parseQueueUrl('redis+sentinel://h1:26379/m/x')).toThrow(/database number/);
    expect(() => parseQueueUrl('redis+sentinel://h1:99999/m')).toThrow(/port/);
    expect(() => parseQueueUrl('redis+sentinel://h1/m?sentinelPasword=x')).toThrow(/unknown option 'sentinelPasword'/);
    expect(() => parseQueueUrl('http://h1')).toThrow(QueueUrlError);
    expect(displayQueueUrl('redis://user:pw@h1:6379')).toBe('redis://h1:6379');
  });
});
