# Everything in Fixed.sln compiles: the benchmarks and the examples are not built by the test stages, and an internal
# runtime type once broke the Benchmarks build (a name clash with ScottPlot) while every test stayed green.
STAGE_TIMEOUT=600 run_stage solution-build dotnet build Fixed.sln -c Release
