// The tests reach into the engine behind the generated models (Fixed.Engine) as well as the public surface.
global using Fixed.Engine;
