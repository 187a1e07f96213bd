// The engine that generated models call lives in Fixed.Engine, apart from what users call (the root namespace Fixed);
// the rest of the runtime uses it freely.
global using Fixed.Engine;
