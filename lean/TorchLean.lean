module

public import TorchLean.Num.Binary32
public import TorchLean.Num.Scaled
public import TorchLean.Num.Round
public import TorchLean.Num.RoundBounds
public import TorchLean.Num.RoundMono
public import TorchLean.Num.RoundErr
public import TorchLean.Num.Vectors
public import TorchLean.Num.Packed
public import TorchLean.Num.PackedBatch
public import TorchLean.Num.PackedSplit
public import TorchLean.IR.Dense
public import TorchLean.IR.Shape
public import TorchLean.IR.Window
public import TorchLean.IR.Axis
public import TorchLean.IR.Graph
public import TorchLean.IR.GraphExamples
public import TorchLean.IR.Mlp
public import TorchLean.IR.DenseF32
public import TorchLean.IR.Rows
public import TorchLean.IR.Steps
public import TorchLean.IR.MaxPoolView
public import TorchLean.IR.DenseView
public import TorchLean.IR.Smooth
public import TorchLean.IR.SmoothView
public import TorchLean.Bounds.Interval
public import TorchLean.Bounds.IBP
public import TorchLean.Bounds.Envelope
public import TorchLean.Bounds.Envelopes
public import TorchLean.Bounds.Relax
public import TorchLean.Bounds.Linear
public import TorchLean.Bounds.Crown
public import TorchLean.Bounds.CrownDown
public import TorchLean.Bounds.CrownFixed
public import TorchLean.Bounds.CrownPass
public import TorchLean.Bounds.CrownPacked
public import TorchLean.Bounds.CrownRun
public import TorchLean.Bounds.CrownRunNet
public import TorchLean.Bounds.IbpCols
public import TorchLean.Bounds.IBPF32
public import TorchLean.Bounds.IBPF32Vectors
public import TorchLean.Cert.DenseIBP
public import TorchLean.Cert.DenseIBPF32
public import TorchLean.Cert.DenseCrown
public import TorchLean.Cert.CrownBoxes
public import TorchLean.Cert.Goal
public import TorchLean.Cert.Bab
public import TorchLean.Cert.PackedFit
public import TorchLean.Cert.PackedBoxes
public import TorchLean.Cert.PackedLevels
public import TorchLean.Cert.PackedLeaf
public import TorchLean.Cert.Lowered
public import TorchLean.Cert.Sha256
public import TorchLean.Cert.Json
public import TorchLean.Cert.Artifact
public import TorchLean.Cert.Robust
public import TorchLean.Cert.Chain
public import TorchLean.Cert.EnvLeaf
public import TorchLean.Cert.Claim
public import TorchLean.Cert.ClaimS

/-! # TorchLean

Umbrella module: the denotation of dense networks over `Rat`, binary32 decoding, interval bound
propagation with its soundness theorem, and the certificate checker that generated modules use.
-/

