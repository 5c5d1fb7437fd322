// The device code and web flows: exact result types, and wrong usages that must not compile.

import {
  COZE_CN_BASE_URL,
  getDeviceCode,
  getDeviceToken,
  getWebAuthenticationUrl,
  getWebOAuthToken,
  TokenManager,
  type CozeErrorCode,
  type DeviceCodeData,
  type OAuthToken,
  type WebAuthenticationUrl,
} from 'coze-wasm';

type Equal<X, Y> = (<T>() => T extends X ? 1 : 2) extends <T>() => T extends Y ? 1 : 2 ? true : false;
function expect<T extends true>(): void {}

export async function device(signal: AbortSignal): Promise<void> {
  const code = await getDeviceCode({ clientId: 'c', baseURL: COZE_CN_BASE_URL, workspaceId: 'w' }, { signal });
  expect<Equal<typeof code, DeviceCodeData>>();
  expect<Equal<typeof code.expires_in, number>>();
  expect<Equal<typeof code.verification_url, string>>();
  const token = await getDeviceToken(
    { clientId: 'c', deviceCode: code.device_code, interval: code.interval, expiresIn: code.expires_in, poll: true },
    { signal },
  );
  expect<Equal<typeof token, OAuthToken>>();
  await new TokenManager({ clientId: 'c' }).setToken(token);
  await getDeviceToken({ clientId: 'c', deviceCode: 'd', poll: false });
  const codes: CozeErrorCode[] = ['OAUTH_ACCESS_DENIED', 'OAUTH_EXPIRED_TOKEN', 'SECRET_IN_BROWSER'];
  void codes;

  // @ts-expect-error deviceCode is required
  await getDeviceToken({ clientId: 'c' });
  // @ts-expect-error device_code is the reply's field; the parameter is camelCase deviceCode
  await getDeviceToken({ clientId: 'c', device_code: 'd' });
  // @ts-expect-error poll is a boolean
  await getDeviceToken({ clientId: 'c', deviceCode: 'd', poll: 'yes' });
}

export async function web(): Promise<void> {
  const start = getWebAuthenticationUrl({ clientId: 'c', redirectUrl: 'https://e/cb', state: 's', workspaceId: 'w' });
  expect<Equal<typeof start, WebAuthenticationUrl>>();
  expect<Equal<typeof start.state, string>>();
  const token = await getWebOAuthToken({ code: 'x', clientId: 'c', clientSecret: 's', redirectUrl: 'https://e/cb' });
  expect<Equal<typeof token, OAuthToken>>();

  // @ts-expect-error getWebAuthenticationUrl is synchronous (as @coze/api's)
  await getWebAuthenticationUrl({ clientId: 'c', redirectUrl: 'r' }).then(() => {});
  // @ts-expect-error the web flow needs the client secret
  await getWebOAuthToken({ code: 'x', clientId: 'c', redirectUrl: 'r' });
}
