// Svelte compiler settings shared by Vite, svelte-check and editors.
import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';

/** @type {import('@sveltejs/vite-plugin-svelte').SvelteConfig} */
export default {
  // TypeScript in <script lang="ts">.
  preprocess: vitePreprocess(),
  compilerOptions: {
    // Runes only ($state, $derived, $props): legacy reactive syntax is a compile error.
    runes: true,
  },
};
