using System.Runtime.CompilerServices;

// Scratch vectors are stackalloc'ed on every step and always fully written before they are read;
// zeroing them first would be pure overhead on the hot path.
[module: SkipLocalsInit]
