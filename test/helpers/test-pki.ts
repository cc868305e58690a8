import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { onTestFinished } from 'vitest';

const run = promisify(execFile);

/** A CA and a server certificate it signed, as PEM files in a temporary folder. */
export interface TestPki {
  readonly dir: string;
  /** The CA's certificate: the bundle a client trusts. */
  readonly caPath: string;
  readonly certPath: string;
  readonly keyPath: string;
  /** Another CA's certificate, which never signed `certPath`. */
  readonly otherCaPath: string;
  /** A client certificate and key signed by the CA (for mutual TLS). */
  readonly clientCertPath: string;
  readonly clientKeyPath: string;
  remove(): Promise<void>;
}

/** `openssl` on the PATH? Tests that need certificates skip visibly without it. */
export async function hasOpenssl(): Promise<boolean> {
  return run('openssl', ['version']).then(
    () => true,
    () => false,
  );
}

/**
 * Makes a fresh PKI with `openssl`: a CA, a server certificate for `names` (DNS names and IP
 * addresses as subjectAltName), a client certificate, and an unrelated second CA. EC P-256 keys:
 * a tenth of the time RSA takes to generate on a loaded machine. Removed when the test ends
 * unless `keep` (a `beforeAll` then removes it itself).
 */
export async function makeTestPki(
  names: readonly string[],
  options: { keep?: boolean } = {},
): Promise<TestPki> {
  const dir = await mkdtemp(join(tmpdir(), 'sip-dialer-pki-'));
  const path = (name: string): string => join(dir, name);
  const key = (out: string) =>
    run('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', path(out)]);
  const selfSigned = async (name: string, cn: string): Promise<void> => {
    await key(`${name}.key`);
    await run('openssl', [
      'req',
      '-x509',
      '-new',
      '-key',
      path(`${name}.key`),
      '-out',
      path(`${name}.pem`),
      '-days',
      '2',
      '-subj',
      `/CN=${cn}`,
    ]);
  };
  const signed = async (name: string, cn: string, ext: string): Promise<void> => {
    await key(`${name}.key`);
    await run('openssl', [
      'req',
      '-new',
      '-key',
      path(`${name}.key`),
      '-out',
      path(`${name}.csr`),
      '-subj',
      `/CN=${cn}`,
    ]);
    await writeFile(path(`${name}.ext`), ext);
    await run('openssl', [
      'x509',
      '-req',
      '-in',
      path(`${name}.csr`),
      '-CA',
      path('ca.pem'),
      '-CAkey',
      path('ca.key'),
      '-CAcreateserial',
      '-out',
      path(`${name}.pem`),
      '-days',
      '2',
      '-extfile',
      path(`${name}.ext`),
    ]);
  };
  await Promise.all([selfSigned('ca', 'sip-dialer test CA'), selfSigned('other-ca', 'some other CA')]);
  const san = names.map((name) => (/^[\d.]+$|:/.test(name) ? `IP:${name}` : `DNS:${name}`)).join(',');
  await signed('server', names[0] ?? 'localhost', `subjectAltName=${san}\nextendedKeyUsage=serverAuth\n`);
  await signed('client', 'dialer', 'extendedKeyUsage=clientAuth\n');
  const remove = (): Promise<void> => rm(dir, { recursive: true, force: true });
  if (!options.keep) onTestFinished(remove);
  return {
    dir,
    caPath: path('ca.pem'),
    certPath: path('server.pem'),
    keyPath: path('server.key'),
    otherCaPath: path('other-ca.pem'),
    clientCertPath: path('client.pem'),
    clientKeyPath: path('client.key'),
    remove,
  };
}

/**
 * A server certificate for `names` that `pki`'s CA signed and that expired in 2020 (valid
 * 2020-01-01 to 2020-01-02): OpenSSL 3.0's `x509` cannot set past dates, `openssl ca` can
 * (`-startdate`/`-enddate`), from a minimal CA config written beside it.
 */
export async function makeExpiredCert(
  pki: TestPki,
  names: readonly string[],
): Promise<{ certPath: string; keyPath: string }> {
  const path = (name: string): string => join(pki.dir, name);
  await run('openssl', [
    'genpkey',
    '-algorithm',
    'EC',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-out',
    path('expired.key'),
  ]);
  await run('openssl', [
    'req',
    '-new',
    '-key',
    path('expired.key'),
    '-out',
    path('expired.csr'),
    '-subj',
    `/CN=${names[0] ?? 'localhost'}`,
  ]);
  const san = names.map((name) => (/^[\d.]+$|:/.test(name) ? `IP:${name}` : `DNS:${name}`)).join(',');
  await writeFile(path('expired.ext'), `subjectAltName=${san}\nextendedKeyUsage=serverAuth\n`);
  await writeFile(
    path('expired-ca.cnf'),
    '[ca]\ndefault_ca = expired\n[expired]\ndatabase = expired-index.txt\nnew_certs_dir = .\nserial = expired-serial\ndefault_md = sha256\npolicy = any\n[any]\ncommonName = supplied\n',
  );
  await writeFile(path('expired-index.txt'), '');
  await writeFile(path('expired-serial'), '01\n');
  await run(
    'openssl',
    [
      'ca',
      '-batch',
      '-config',
      'expired-ca.cnf',
      '-cert',
      'ca.pem',
      '-keyfile',
      'ca.key',
      '-in',
      'expired.csr',
      '-out',
      'expired.pem',
      '-notext',
      '-startdate',
      '20200101000000Z',
      '-enddate',
      '20200102000000Z',
      '-extfile',
      'expired.ext',
    ],
    { cwd: pki.dir },
  );
  return { certPath: path('expired.pem'), keyPath: path('expired.key') };
}
