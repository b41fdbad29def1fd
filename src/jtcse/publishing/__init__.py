"""Publishing trained encoders: Hugging Face model cards (:mod:`.model_card`) and the upload of
a model folder to the Hub (:mod:`.hub`)."""
