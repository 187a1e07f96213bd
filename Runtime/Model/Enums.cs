namespace Fixed;

/// <summary>The training loss, each reduced by the mean over every element as PyTorch's default.</summary>
public enum Loss
{
    /// <summary><c>nn.MSELoss()</c>.</summary>
    Mse,

    /// <summary><c>nn.L1Loss()</c>.</summary>
    L1,

    /// <summary><c>nn.HuberLoss()</c> with delta 1.</summary>
    Huber,

    /// <summary><c>nn.CrossEntropyLoss()</c>: outputs are logits, each target a class index stored as a float.</summary>
    CrossEntropy,
}

/// <summary>Which steps of a sequence the loss is computed on.</summary>
public enum LossOn
{
    /// <summary>Many-to-many: every step after the warm-up has a target.</summary>
    AllSteps,

    /// <summary>Many-to-one: only the last step has a target.</summary>
    LastStep,
}

/// <summary>How a batch of sequences is laid out in memory.</summary>
public enum SequenceLayout
{
    /// <summary><c>[B, T, features]</c>, PyTorch's <c>batch_first=True</c>.</summary>
    BatchFirst,

    /// <summary><c>[T, B, features]</c>, PyTorch's default.</summary>
    TimeFirst,
}
