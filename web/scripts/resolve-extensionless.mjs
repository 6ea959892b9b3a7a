// The unit tests run the TypeScript output with Node, whose ES modules need file extensions;
// the app's own modules import each other without one (Vite resolves them). This hook lets
// a relative import without an extension find its `.js` file.
import { register } from 'node:module'

register('./resolve-extensionless-hooks.mjs', import.meta.url)
