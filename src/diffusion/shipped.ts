/** Where the shipped digits checkpoint lives (inside the package, found from this file). */
import { fileURLToPath } from 'node:url';

export const SHIPPED_DIGITS_CHECKPOINT = fileURLToPath(new URL('./checkpoints/digits-ddpm', import.meta.url));
