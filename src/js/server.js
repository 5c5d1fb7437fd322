// The JWT flow's driver (server runtimes): not in the page snippet (support.js), whose entries
// only refuse it. The server entries (pkg/server.js, pkg/node.js) hand `jwtFlow` to the snippet's
// `serverFlows`, which calls it with the snippet's helpers and adds the entries it returns. The
// wasm builds and checks the JWT and reads the reply; WebCrypto signs it (no RSA in the wasm).
// Takes no import: the helpers must be those of the snippet instance the glue uses.

/** `helpers` (from serverFlows) → the entries getJWTToken and JWTTokenManager. */
export function jwtFlow(helpers) {
  const {
    run, ask, reader, REQUIRED, NOT_BLANK, paramsJson, signalOf, send, readText, logidOf, nowSeconds, fail,
    invalid, textProblem, isBrowser,
  } = helpers;

  const RS256 = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };

  /** In a page or a Web Worker the private key would be readable: the wasm refuses (JWT_IN_BROWSER). */
  function jwtOnServerOnly() {
    if (isBrowser()) run('jwtStart', { inBrowser: true });
  }

  const isCryptoKey = (value) => {
    try {
      return Object.prototype.toString.call(value) === '[object CryptoKey]';
    } catch {
      return false;
    }
  };

  /** getJWTToken's params as the wasm reads them, and the CryptoKey when one was given. */
  function jwtArgs(r) {
    const given = r.get('privateKey');
    const cryptoKey = isCryptoKey(given) ? given : null;
    const args = {
      appId: r.text('appId', REQUIRED), keyid: r.text('keyid') ?? '', aud: r.text('aud', REQUIRED),
      privateKey: cryptoKey ? undefined : r.text('privateKey', REQUIRED), baseURL: r.text('baseURL'),
      durationSeconds: r.get('durationSeconds'), scope: r.get('scope'), sessionName: r.text('sessionName'),
      accountId: r.text('accountId', NOT_BLANK), insecure: r.bool('allowInsecureHttp'),
    };
    return { args, cryptoKey };
  }

  /** One JWT → one `{access_token, expires_in}` from the token endpoint. */
  async function mintJwt({ args, cryptoKey }, signal) {
    const start = ask('jwtStart', paramsJson({ ...args, now: nowSeconds() }));
    const subtle = globalThis.crypto && globalThis.crypto.subtle;
    if (!subtle) throw fail('CRYPTO_UNAVAILABLE', 'getJWTToken needs WebCrypto (crypto.subtle): Node ≥ 20, Deno or a workers-style runtime');
    let signature;
    try {
      const der = cryptoKey ? null : Uint8Array.from(atob(start.der.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));
      const key = cryptoKey || (await subtle.importKey('pkcs8', der, RS256, false, ['sign']));
      signature = btoa(String.fromCharCode(...new Uint8Array(await subtle.sign(RS256, key, new TextEncoder().encode(start.input)))));
    } catch {
      run('jwtKeyRefused', { cryptoKey: !!cryptoKey });
    }
    const req = run('jwtRequest', { input: start.input, url: start.url, body: start.body, signature });
    const res = await send(req, req.auth, signal);
    const body = await readText(res, req.url, signal);
    return run('jwtReply', {
      status: res.status, logid: logidOf(res), date: res.headers.get('date') || undefined, body, now: nowSeconds(),
      iat: start.iat, aud: start.aud, baseURL: start.baseURL,
    });
  }

  async function jwtToken(params, options) {
    jwtOnServerOnly();
    const r = reader('getJWTToken', params);
    const signal = signalOf(options);
    return mintJwt(jwtArgs(r), signal);
  }

  /** A token source for CozeAPI: mints a JWT token ahead of expiry, one mint at a time. */
  class JwtManager {
    constructor(r) {
      this.jwt = jwtArgs(r);
      ask('jwtStart', paramsJson({ ...this.jwt.args, now: nowSeconds() })); // bad input and keys: refused now, not at first use
      this.ahead = r.number('refreshAheadSeconds') ?? 60;
      this.token = null;
      this.inflight = null;
    }

    async getToken() {
      return this.token ? { ...this.token } : null;
    }

    async getAccessToken() {
      const token = this.token;
      if (token && !run('needsRefresh', { expires: token.expires_in, now: nowSeconds(), ahead: Math.trunc(this.ahead) })) {
        return token.access_token;
      }
      return (await this.mint()).access_token;
    }

    /** Mints now; with the access token an API refused, a token that already replaced it is returned. */
    async refresh(rejected) {
      if (rejected != null && (typeof rejected !== 'string' || textProblem(rejected))) {
        throw invalid('refresh: `rejectedAccessToken` must be the refused access token (a string)');
      }
      if (rejected != null && this.token && this.token.access_token !== rejected) return { ...this.token };
      return { ...(await this.mint()) };
    }

    mint() {
      if (!this.inflight) {
        const flight = mintJwt(this.jwt).then((token) => (this.token = token));
        this.inflight = flight;
        const done = () => { if (this.inflight === flight) this.inflight = null; };
        flight.then(done, done);
      }
      return this.inflight;
    }
  }

  return {
    getJWTToken: jwtToken,
    JWTTokenManager: (options) => {
      jwtOnServerOnly(); // before the options are read: in a page the answer is always JWT_IN_BROWSER
      return new JwtManager(reader('new JWTTokenManager', options));
    },
  };
}
