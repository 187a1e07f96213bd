namespace Fixed.Generator;

/// <summary>
/// Documentation (remarks, so that no other parameter needs a tag) written on the training members of every model, one-attribute and stack alike: what <c>targets</c> holds
/// for each loss, <c>LossOn</c> and layout (the same table as the README's "What targets look like").
/// </summary>
internal static partial class Emitter
{
    private const string SingleTargetsDoc = """
        /// <remarks>
        /// <paramref name="targets"/>: Mse, L1, Huber: <c>[T - warmUp, OutputSize]</c> for <see cref="global::Fixed.LossOn.AllSteps"/> (the default here),
        /// <c>[OutputSize]</c> for <see cref="global::Fixed.LossOn.LastStep"/>. CrossEntropy: one class index per step stored as a
        /// float (<c>2f</c> for class 2, not one-hot): <c>[T - warmUp]</c> for AllSteps, <c>[1]</c> for LastStep.
        /// </remarks>
        """;

    private const string BatchedTargetsDoc = """
        /// <remarks>
        /// <paramref name="targets"/>: Mse, L1, Huber: <c>[B, OutputSize]</c> for <see cref="global::Fixed.LossOn.LastStep"/> (the default here); for
        /// <see cref="global::Fixed.LossOn.AllSteps"/> <c>[B, T - warmUp, OutputSize]</c> (BatchFirst) or
        /// <c>[T - warmUp, B, OutputSize]</c> (TimeFirst). CrossEntropy: one class index per sequence or step stored as a
        /// float (<c>2f</c> for class 2, not one-hot): <c>[B]</c> for LastStep; <c>[B, T - warmUp]</c> or
        /// <c>[T - warmUp, B]</c> for AllSteps. B is <paramref name="batchSize"/>.
        /// </remarks>
        """;

    private const string EvaluateSingleDoc = """
        /// <summary>
        /// The loss the single-sequence <c>Backward</c> would return for these arguments (same checks, loss, <see cref="global::Fixed.LossOn"/> and
        /// warm-up), from a forward pass only: no tape, nothing added to <see cref="Gradients"/>. Advances <paramref name="state"/> to the
        /// sequence end as <c>Backward</c> does. Allocates nothing; safe on many threads on one model, each with its own state.
        /// </summary>
        """;

    /// <summary><see cref="EvaluateBatchedDoc"/>, for a model whose sequences start from its learned initial state when <paramref name="learned"/>.</summary>
    private static string EvaluateBatchedDocFor(bool learned) =>
        learned ? EvaluateBatchedDoc.Replace("each from the\n/// zero state", "each from the\n/// learned initial state") : EvaluateBatchedDoc;

    private const string EvaluateBatchedDoc = """
        /// <summary>
        /// The loss the batched <c>Backward</c> would return for these arguments: <paramref name="batchSize"/> sequences, each from the
        /// zero state, the mean over every element of the batch; a forward pass only, nothing added to <see cref="Gradients"/>.
        /// Allocates nothing; safe on many threads on one model.
        /// </summary>
        """;

    private const string LengthsBackwardDoc = """
        /// <summary>
        /// BPTT over a padded batch of <c>B = lengths.Length</c> sequences of different lengths, exactly as PyTorch's
        /// <c>pack_padded_sequence(..., enforce_sorted=False)</c>: sequence b starts from the zero state and uses its first
        /// <c>lengths[b]</c> steps (1 &lt;= lengths[b] &lt;= T &lt;= <see cref="Window"/>, T the padded length); adds the gradients into
        /// <see cref="Gradients"/> and returns the loss. Padding, in <paramref name="inputs"/> and <paramref name="targets"/>, is never read.
        /// There is no warm-up parameter: every sequence carries the loss from its first step on.
        /// </summary>
        """;

    private const string LengthsEvaluateDoc = """
        /// <summary>
        /// The loss the <c>Backward</c> over sequences of different lengths would return for these arguments (sequence b uses its
        /// first <c>lengths[b]</c> steps, from the zero state, as PyTorch's <c>pack_padded_sequence(..., enforce_sorted=False)</c>), from a
        /// forward pass only: nothing added to <see cref="Gradients"/>. Padding is never read. Allocates nothing; safe on many threads.
        /// </summary>
        """;

    private const string LengthsTargetsDoc = """
        /// <remarks>
        /// <paramref name="inputs"/>: <c>[B, T, InputSize]</c> (BatchFirst) or <c>[T, B, InputSize]</c> (TimeFirst).
        /// <paramref name="targets"/> for <see cref="global::Fixed.LossOn.LastStep"/> (the default here): <c>[B, OutputSize]</c>, compared with
        /// each sequence's output at its own last step <c>lengths[b] - 1</c> (PyTorch's <c>h_n</c> through the layers after it); the loss
        /// is the mean over those B × OutputSize elements. For <see cref="global::Fixed.LossOn.AllSteps"/>: padded like the inputs,
        /// <c>[B, T, OutputSize]</c> or <c>[T, B, OutputSize]</c>; the loss is summed over the valid steps <c>t &lt; lengths[b]</c> only and
        /// divided by <c>sum(lengths) × OutputSize</c> (PyTorch's <c>loss_fn(out[mask], targets[mask])</c>). CrossEntropy: one class index
        /// per sequence or step stored as a float, so <c>[B]</c>, <c>[B, T]</c> or <c>[T, B]</c>, and the mean over sequences or valid steps.
        /// </remarks>
        """;
}
