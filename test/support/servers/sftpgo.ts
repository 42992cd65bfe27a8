// Just enough SFTPGo for the `http` kind: GET /healthz ("ok") and a JSON status body shaped
// like SFTPGo's /api/v2/status (services and data provider, each with is_active).
import http from 'node:http';
import { listenOnLoopback } from './listen.ts';

export interface SftpgoStatus {
  readonly ssh: boolean;
  readonly ftp: boolean;
  readonly webdav: boolean;
  readonly dataProvider: boolean;
}

export interface TestSftpgoServer {
  readonly url: string;
  setStatus(change: Partial<SftpgoStatus>): void;
  /** Makes /healthz answer 503, as SFTPGo does when its data provider is unreachable. */
  setHealthy(healthy: boolean): void;
  close(): Promise<void>;
}

export async function startSftpgoServer(): Promise<TestSftpgoServer> {
  let status: SftpgoStatus = { ssh: true, ftp: false, webdav: false, dataProvider: true };
  let healthy = true;
  const server = http.createServer((req, res) => {
    req.resume();
    const path = (req.url ?? '').split('?')[0];
    if (path === '/healthz') {
      res.writeHead(healthy ? 200 : 503, { 'content-type': 'text/plain; charset=utf-8' }).end(healthy ? 'ok' : 'unhealthy');
    } else if (path === '/api/v2/status') {
      const body = {
        ssh: { is_active: status.ssh, bindings: [{ address: '', port: 2022 }], host_keys: [] },
        ftp: { is_active: status.ftp, bindings: null },
        webdav: { is_active: status.webdav, bindings: null },
        data_provider: { is_active: status.dataProvider, driver: 'sqlite', error: status.dataProvider ? '' : 'database is locked' },
        defender: { is_active: false },
        mfa: { is_active: true, totp_configs: [] },
        allow_list: { is_active: false },
        rate_limiters: { is_active: false },
      };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    } else {
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'not found', message: '' }));
    }
  });
  const listening = await listenOnLoopback(server);
  return {
    url: `http://127.0.0.1:${listening.port}`,
    setStatus(change) {
      status = { ...status, ...change };
    },
    setHealthy(next) {
      healthy = next;
    },
    close: () => listening.close(),
  };
}
