// What a Vite app using coze-wasm needs: nothing for the page; ES-module workers, because the
// 'coze-wasm/auto' entry uses top-level await (Vite's default worker format, iife, cannot).
export default {
  worker: { format: 'es' },
  build: { outDir: 'dist', emptyOutDir: true },
  logLevel: 'warn',
};
