// vite.config.js - the console's build (docs/console.md, "The console"): served under /admin/,
// assets named by their content's hash (cached for a year by the server), no source maps in the
// embedded build, no inline script or style (the CSP allows neither), and a size budget that fails
// the build when the bundle grows past it (first paint < 1 s is the plan's figure; the bytes are
// its lever). console/build.sh runs it with --outDir in the build directory.
import { defineConfig } from 'vite';
import preact from '@preact/preset-vite';

// Bytes (uncompressed) the build may emit: the entry (what the first paint loads) and everything.
const BUDGET = { entry: 64 * 1024, total: 256 * 1024 };

function budget() {
    return {
        name: 'kt-budget',
        apply: 'build',
        generateBundle(_options, bundle) {
            let total = 0;
            let entry = 0;
            for (const f of Object.values(bundle)) {
                const size = f.type === 'chunk' ? Buffer.byteLength(f.code) : f.source.length;
                if (f.fileName.endsWith('.html')) {
                    continue;
                }
                total += size;
                if (f.type === 'chunk' && f.isEntry) {
                    entry += size;
                }
            }
            const over = [];
            if (entry > BUDGET.entry) {
                over.push(`entry ${entry} B > ${BUDGET.entry} B`);
            }
            if (total > BUDGET.total) {
                over.push(`total ${total} B > ${BUDGET.total} B`);
            }
            if (over.length > 0) {
                this.error(`console bundle over its budget (vite.config.js BUDGET): ${over.join(', ')}`);
            }
            console.log(`console bundle: entry ${entry} B, total ${total} B (budget ${BUDGET.entry}/${BUDGET.total})`);
        },
    };
}

export default defineConfig({
    base: '/admin/',
    plugins: [preact({ prerender: { enabled: false } }), budget()],
    build: {
        sourcemap: false,
        assetsDir: 'assets',
        assetsInlineLimit: 0, // no data: URLs for scripts or fonts; images may be data: (CSP img-src)
        cssCodeSplit: true,
        modulePreload: { polyfill: false },
        reportCompressedSize: false,
        rollupOptions: {
            output: {
                entryFileNames: 'assets/[name]-[hash].js',
                chunkFileNames: 'assets/[name]-[hash].js',
                assetFileNames: 'assets/[name]-[hash][extname]',
            },
        },
    },
});
