// Certificates for the TLS tests, made with openssl at test time in a fresh directory (EC P-256 keys: fast to make):
// a CA, a server certificate it signs for 127.0.0.1 and localhost, a client certificate it signs, and the certificates
// a client must refuse: a self-signed one, one for another host name, an expired one, and a client certificate of
// another CA. Files are world-readable so that memcached (-u memcache) and the backend (postgres) both read them.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freeLoopbackPort } from './ports';
import { startMemcached, startMemcachedOnPort, type MemcachedAddress, type MemcachedHandle } from './memcached';

export type CertifiedKey = { cert: string; key: string };

export type TlsFiles = {
  dir: string;
  /** The CA every good certificate chains to. */
  ca: string;
  /** Signed by the CA for IP 127.0.0.1 and DNS localhost. */
  server: CertifiedKey;
  /** Signed by the CA (client authentication). */
  client: CertifiedKey;
  /** Self-signed for 127.0.0.1: no CA vouches for it. */
  untrusted: CertifiedKey;
  /** Signed by the CA for DNS wrong.example only. */
  wrongHost: CertifiedKey;
  /** Signed by the CA for 127.0.0.1, but its validity ended the day before it began (notAfter in the past). */
  expired: CertifiedKey;
  /** A client certificate signed by another CA. */
  strangerClient: CertifiedKey;
  /** A file that holds no PEM at all. */
  garbage: string;
  remove(): void;
};

function openssl(dir: string, args: string[]): void {
  const result = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
  if (result.error !== undefined || result.status !== 0) {
    throw new Error(`openssl ${args.join(' ')} failed: ${result.error?.message ?? ''}${result.stderr}`);
  }
}

const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/** A key and a certificate signed by `ca` (or self-signed when `ca` is null), with `san` and `days` of validity. */
function issue(
  dir: string,
  name: string,
  subject: string,
  san: string | null,
  ca: CertifiedKey | null,
  days: number,
): CertifiedKey {
  const key = join(dir, `${name}.key`);
  const cert = join(dir, `${name}.crt`);
  const extensions = join(dir, `${name}.ext`);
  writeFileSync(
    extensions,
    san === null ? 'basicConstraints=CA:FALSE\n' : `basicConstraints=CA:FALSE\nsubjectAltName=${san}\n`,
  );
  if (ca === null) {
    openssl(dir, [
      'req',
      '-x509',
      ...EC_KEY,
      '-keyout',
      key,
      '-out',
      cert,
      '-subj',
      subject,
      '-days',
      String(days),
      '-addext',
      `subjectAltName=${san ?? 'DNS:unused'}`,
    ]);
  } else {
    const request = join(dir, `${name}.csr`);
    openssl(dir, ['req', ...EC_KEY, '-keyout', key, '-out', request, '-subj', subject]);
    openssl(dir, [
      'x509',
      '-req',
      '-in',
      request,
      '-CA',
      ca.cert,
      '-CAkey',
      ca.key,
      '-CAcreateserial',
      '-out',
      cert,
      '-days',
      String(days),
      '-extfile',
      extensions,
    ]);
  }
  return { cert, key };
}

/** Makes every certificate the TLS tests use, in a new directory. */
export function makeTlsFiles(): TlsFiles {
  const dir = mkdtempSync(join(tmpdir(), 'pymcache-tls-'));
  chmodSync(dir, 0o755);
  const caPair = issue(dir, 'ca', '/CN=pymcache_fdw test CA', null, null, 2);
  const otherCa = issue(dir, 'other-ca', '/CN=another test CA', null, null, 2);
  const files: TlsFiles = {
    dir,
    ca: caPair.cert,
    server: issue(dir, 'server', '/CN=localhost', 'IP:127.0.0.1,DNS:localhost', caPair, 2),
    client: issue(dir, 'client', '/CN=pymcache client', null, caPair, 2),
    untrusted: issue(dir, 'untrusted', '/CN=localhost', 'IP:127.0.0.1,DNS:localhost', null, 2),
    wrongHost: issue(dir, 'wrong-host', '/CN=wrong.example', 'DNS:wrong.example', caPair, 2),
    expired: issue(dir, 'expired', '/CN=localhost', 'IP:127.0.0.1,DNS:localhost', caPair, -1),
    strangerClient: issue(dir, 'stranger-client', '/CN=stranger', null, otherCa, 2),
    garbage: join(dir, 'garbage.pem'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
  writeFileSync(files.garbage, 'this is not PEM\n');
  for (const file of readdirSync(dir)) chmodSync(join(dir, file), 0o644);
  return files;
}

/**
 * A memcached speaking only TLS (-Z), with `certified` as its certificate; `clientCa` makes it require a client
 * certificate signed by that CA (ssl_verify_mode 2: the handshake fails without one).
 */
export function startTlsMemcached(
  certified: CertifiedKey,
  clientCa: string | null = null,
  extraArgs: string[] = [],
): Promise<MemcachedHandle> {
  const settings = [`ssl_chain_cert=${certified.cert}`, `ssl_key=${certified.key}`];
  if (clientCa !== null) settings.push(`ssl_ca_cert=${clientCa}`, 'ssl_verify_mode=2');
  return startMemcached(['-Z', '-o', settings.join(','), ...extraArgs]);
}

/**
 * A TLS memcached (as startTlsMemcached) that also listens without TLS on a second port (-l notls:...), so that tests
 * can look at what it holds with a plain client.
 */
export async function startTlsMemcachedWithPlainPort(
  certified: CertifiedKey,
  clientCa: string | null = null,
): Promise<MemcachedHandle & { plain: MemcachedAddress }> {
  const settings = [`ssl_chain_cert=${certified.cert}`, `ssl_key=${certified.key}`];
  if (clientCa !== null) settings.push(`ssl_ca_cert=${clientCa}`, 'ssl_verify_mode=2');
  // Two ports picked as free may be taken by another test file before memcached binds them: then two others.
  for (let attempt = 1; ; attempt++) {
    const [port, plainPort] = [await freeLoopbackPort(), await freeLoopbackPort()];
    try {
      const handle = await startMemcachedOnPort(
        port,
        ['-Z', '-o', settings.join(',')],
        `127.0.0.1,notls:127.0.0.1:${plainPort}`,
      );
      return { ...handle, plain: { host: '127.0.0.1', port: plainPort } };
    } catch (error) {
      if (attempt >= 5 || !String(error).includes('Address already in use')) throw error;
    }
  }
}
