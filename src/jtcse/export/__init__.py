"""Export trained encoders to ONNX and encode sentences with ONNX Runtime."""
