// RTNeural's side of the comparison in the benchmark report; built and run by scripts/bench/rtneural.sh.
//
// Usage: harness --network KEY --weights FILE.json [--runs 7] [--steps 1000000] [--round 1]
//
// FILE.json is written by `Fixed.Benchmarks rtneural export`: the generated model's weights as a PyTorch state_dict
// (rnn.weight_ih_l0, ..., linear.weight, linear.bias) and its outputs over the first 100 steps ("fixed.reference").
// The weights are loaded with RTNeural's own PyTorch loaders (RTNeural::torch_helpers: transposed kernels, GRU r/z
// blocks swapped, LSTM biases summed). Before timing, the harness steps its model from the zero state over the same
// inputs and fails unless every output is within 1e-4 of ours: both sides compute the same network.
//
// Timing, as `Fixed.Benchmarks rtneural time` times our Step: from the zero state, `steps` consecutive calls of
// ModelT::forward over the precomputed input, one steady_clock read before and after, ns per step. One CSV row per run:
//   key,implementation,round,steps,ns_per_step,max_abs_diff
// Input at step t: sin(0.01 t); networks with three inputs add cos(0.01 t) and sin(0.02 t).
//
// Built against RTNeural's compile-time API (ModelT) with the Eigen backend:
//   -O3 -march=native -std=c++17 -DRTNEURAL_USE_EIGEN=1 -DRTNEURAL_DEFAULT_ALIGNMENT=32

#include <RTNeural/RTNeural.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace
{
constexpr int check_steps = 100;
constexpr double tolerance = 1e-4;

using GruModel8 = RTNeural::ModelT<float, 1, 1,
    RTNeural::GRULayerT<float, 1, 8>,
    RTNeural::DenseT<float, 8, 1>>;
using GruModel32 = RTNeural::ModelT<float, 1, 1,
    RTNeural::GRULayerT<float, 1, 32>,
    RTNeural::DenseT<float, 32, 1>>;
using GruModel64 = RTNeural::ModelT<float, 1, 1,
    RTNeural::GRULayerT<float, 1, 64>,
    RTNeural::DenseT<float, 64, 1>>;
using GruModel3x32 = RTNeural::ModelT<float, 3, 1,
    RTNeural::GRULayerT<float, 3, 32>,
    RTNeural::DenseT<float, 32, 1>>;
using LstmModel32 = RTNeural::ModelT<float, 1, 1,
    RTNeural::LSTMLayerT<float, 1, 32>,
    RTNeural::DenseT<float, 32, 1>>;
using LstmModel64 = RTNeural::ModelT<float, 1, 1,
    RTNeural::LSTMLayerT<float, 1, 64>,
    RTNeural::DenseT<float, 64, 1>>;
using GruModel32x2 = RTNeural::ModelT<float, 1, 1,
    RTNeural::GRULayerT<float, 1, 32>,
    RTNeural::GRULayerT<float, 32, 32>,
    RTNeural::DenseT<float, 32, 1>>;

struct Options
{
    std::string network;
    std::string weights;
    int runs = 7;
    int steps = 1000000;
    int round = 1;
};

[[noreturn]] void fail(const std::string& message)
{
    std::fprintf(stderr, "harness: %s\n", message.c_str());
    std::exit(1);
}

// The comparison input, one step every `stride` floats: packed for one input; for three inputs each step starts on a
// 32-byte boundary, since ModelT maps a multi-input vector as aligned (RTNeuralEigenAlignment).
struct Inputs
{
    int stride = 1;
    std::unique_ptr<float[], void (*)(void*)> data { nullptr, std::free };

    const float* at(int t) const noexcept { return data.get() + (size_t)t * stride; }

    static Inputs make(int in_size, int steps)
    {
        Inputs inputs;
        inputs.stride = in_size == 1 ? 1 : 8;
        const size_t bytes = ((size_t)steps * inputs.stride * sizeof(float) + 31) / 32 * 32;
        inputs.data.reset(static_cast<float*>(std::aligned_alloc(32, bytes)));
        if(!inputs.data)
            fail("out of memory");
        std::fill(inputs.data.get(), inputs.data.get() + bytes / sizeof(float), 0.0f);
        for(int t = 0; t < steps; ++t)
        {
            float* x = inputs.data.get() + (size_t)t * inputs.stride;
            x[0] = (float)std::sin(0.01 * t);
            if(in_size > 1)
            {
                x[1] = (float)std::cos(0.01 * t);
                x[2] = (float)std::sin(0.02 * t);
            }
        }
        return inputs;
    }
};

template <typename Model>
float run_steps(Model& model, const Inputs& inputs, int steps)
{
    float sum = 0.0f;
    for(int t = 0; t < steps; ++t)
        sum += model.forward(inputs.at(t));
    return sum;
}

// Loads the state_dict with RTNeural's PyTorch loaders. Layers of the model: recurrent_layers recurrent ones, then Dense.
template <bool lstm, int recurrent_layers, typename Model>
void load_weights(Model& model, const nlohmann::json& json, int layers)
{
    if constexpr(lstm)
        RTNeural::torch_helpers::loadLSTM<float>(json, "rnn.", model.template get<0>());
    else
        RTNeural::torch_helpers::loadGRU<float>(json, "rnn.", model.template get<0>());

    if constexpr(recurrent_layers == 2)
    {
        if(layers != 2)
            fail("the model has two recurrent layers, the weights do not");
        RTNeural::torch_helpers::loadGRU<float>(json, "rnn.", model.template get<1>(), true, 1);
        RTNeural::torch_helpers::loadDense<float>(json, "linear.", model.template get<2>());
    }
    else
    {
        if(layers != 1)
            fail("the model has one recurrent layer, the weights do not");
        RTNeural::torch_helpers::loadDense<float>(json, "linear.", model.template get<1>());
    }
}

template <typename Model, int in_size, bool lstm = false, int recurrent_layers = 1>
int run(const Options& options, const nlohmann::json& json)
{
    if(json.at("fixed.input").get<int>() != in_size)
        fail("the weights are for a different input size");

    static Model model; // large aligned members: not on the stack
    load_weights<lstm, recurrent_layers>(model, json, json.at("fixed.layers").get<int>());

    // Same outputs as ours over the first steps, from the zero state.
    const std::vector<float> reference = json.at("fixed.reference").get<std::vector<float>>();
    if((int)reference.size() != check_steps)
        fail("expected 100 reference outputs");
    const Inputs check = Inputs::make(in_size, check_steps);
    model.reset();
    double max_diff = 0.0;
    for(int t = 0; t < check_steps; ++t)
    {
        const float y = model.forward(check.at(t));
        max_diff = std::max(max_diff, (double)std::fabs(y - reference[(size_t)t]));
        if(!std::isfinite(y))
            max_diff = INFINITY;
    }
    std::fprintf(stderr, "%s: RTNeural vs Fixed over the first %d steps, max |difference| = %.3g\n",
        options.network.c_str(), check_steps, max_diff);
    if(!(max_diff <= tolerance))
        fail("RTNeural's outputs differ from ours by more than 1e-4: the two do not compute the same network");

    const Inputs inputs = Inputs::make(in_size, options.steps);

    // Warm-up as on our side: 100 calls of 1000 steps and at least 300 ms, then one full run.
    volatile float sink = 0.0f;
    const int chunk = std::min(options.steps, 1000);
    const auto warm_start = std::chrono::steady_clock::now();
    for(int calls = 0; calls < 100 || std::chrono::steady_clock::now() - warm_start < std::chrono::milliseconds(300); ++calls)
    {
        model.reset();
        sink = sink + run_steps(model, inputs, chunk);
    }
    // One untimed run of full length (our side does the same): the whole input has been read once.
    model.reset();
    sink = sink + run_steps(model, inputs, options.steps);

    for(int run = 0; run < options.runs; ++run)
    {
        model.reset();
        const auto start = std::chrono::steady_clock::now();
        sink = sink + run_steps(model, inputs, options.steps);
        const auto stop = std::chrono::steady_clock::now();
        const double ns = std::chrono::duration<double, std::nano>(stop - start).count() / options.steps;
        std::printf("%s,rtneural,%d,%d,%.2f,%.3g\n", options.network.c_str(), options.round + run, options.steps, ns, max_diff);
    }

    if(!std::isfinite((float)sink))
        fail("non-finite outputs");
    return 0;
}

Options parse(int argc, char** argv)
{
    Options o;
    for(int i = 1; i < argc; ++i)
    {
        const std::string arg = argv[i];
        if(i + 1 >= argc)
            fail(arg + " needs a value");
        const std::string value = argv[++i];
        if(arg == "--network")
            o.network = value;
        else if(arg == "--weights")
            o.weights = value;
        else if(arg == "--runs")
            o.runs = std::stoi(value);
        else if(arg == "--steps")
            o.steps = std::stoi(value);
        else if(arg == "--round")
            o.round = std::stoi(value);
        else
            fail("unknown option " + arg);
    }
    if(o.network.empty() || o.weights.empty() || o.runs < 1 || o.steps < 1)
        fail("usage: harness --network KEY --weights FILE.json [--runs 7] [--steps 1000000] [--round 1]");
    return o;
}
} // namespace

int main(int argc, char** argv)
{
    const Options options = parse(argc, argv);
    std::ifstream stream(options.weights, std::ifstream::binary);
    if(!stream)
        fail("cannot read " + options.weights);
    nlohmann::json json;
    stream >> json;
    if(json.at("fixed.key").get<std::string>() != options.network)
        fail(options.weights + " holds the weights of " + json.at("fixed.key").get<std::string>() + ", not " + options.network);

    const std::string& n = options.network;
    if(n == "gru8")
        return run<GruModel8, 1>(options, json);
    if(n == "gru32")
        return run<GruModel32, 1>(options, json);
    if(n == "gru64")
        return run<GruModel64, 1>(options, json);
    if(n == "gru3x32")
        return run<GruModel3x32, 3>(options, json);
    if(n == "lstm32")
        return run<LstmModel32, 1, true>(options, json);
    if(n == "lstm64")
        return run<LstmModel64, 1, true>(options, json);
    if(n == "gru32l2")
        return run<GruModel32x2, 1, false, 2>(options, json);
    // Our WeightPrecision.BFloat16 declarations, exported with their weight matrices rounded to bfloat16: RTNeural runs the
    // same network in fp32 (it has no reduced-precision storage).
    if(n == "gru64bf16")
        return run<GruModel64, 1>(options, json);
    if(n == "lstm64bf16")
        return run<LstmModel64, 1, true>(options, json);
    fail("unknown network " + n + " (gru8, gru32, gru64, gru3x32, lstm32, lstm64, gru32l2, gru64bf16, lstm64bf16)");
}
