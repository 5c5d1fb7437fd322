// Demo only (not needed to embed the element): `?emulator=http://127.0.0.1:PORT` points this
// page's <coze-chat> at a local emulator on another port (scripts/demo.sh, the e2e tests). Kept
// for the tab (the OAuth redirect comes back without the query); loopback only. A classic script
// after the tag: it runs while the page parses, before the element's (deferred) module boots it.
(() => {
  const KEY = 'coze-wasm-demo:emulator';
  const loopback = (value) => {
    try {
      const url = new URL(value);
      return url.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname) ? url.origin : null;
    } catch {
      return null;
    }
  };
  const fromQuery = loopback(new URLSearchParams(location.search).get('emulator') || '');
  if (fromQuery) sessionStorage.setItem(KEY, fromQuery);
  const chosen = loopback(sessionStorage.getItem(KEY) || '');
  if (!chosen) return;
  if (fromQuery) history.replaceState(history.state, '', location.pathname + location.hash);
  for (const chat of document.querySelectorAll('coze-chat')) chat.setAttribute('base-url', chosen);
})();
