"""Small random-initialized Hugging Face audio encoders of every wrapped family, saved with
``save_pretrained`` into a folder (no network)."""

from pathlib import Path

SMALL = {
    "hidden_size": 32,
    "num_hidden_layers": 3,
    "num_attention_heads": 2,
    "intermediate_size": 64,
}
CONV = {"conv_dim": (16,) * 7, "num_conv_pos_embeddings": 16, "num_conv_pos_embedding_groups": 4}
FAMILIES = ("wav2vec2", "hubert", "wavlm", "data2vec-audio", "ast", "whisper", "clap")


def build(family: str, root: Path) -> Path:
    """Save a tiny ``family`` model and its feature extractor under ``root/family``."""
    import torch
    import transformers as tf

    torch.manual_seed(0)
    wave = tf.Wav2Vec2FeatureExtractor()
    makers = {
        "wav2vec2": lambda: (tf.Wav2Vec2Model(tf.Wav2Vec2Config(**SMALL, **CONV)), wave),
        "hubert": lambda: (tf.HubertModel(tf.HubertConfig(**SMALL, **CONV)), wave),
        "wavlm": lambda: (tf.WavLMModel(tf.WavLMConfig(**SMALL, **CONV)), wave),
        "data2vec-audio": lambda: (
            tf.Data2VecAudioModel(tf.Data2VecAudioConfig(**SMALL, **CONV)),
            wave,
        ),
        "ast": lambda: (
            tf.ASTModel(tf.ASTConfig(**SMALL, max_length=128, num_mel_bins=32)),
            tf.ASTFeatureExtractor(num_mel_bins=32, max_length=128),
        ),
        "whisper": lambda: (
            tf.WhisperModel(
                tf.WhisperConfig(
                    d_model=32,
                    encoder_layers=2,
                    decoder_layers=1,
                    encoder_attention_heads=2,
                    decoder_attention_heads=2,
                    encoder_ffn_dim=64,
                    decoder_ffn_dim=64,
                )
            ),
            tf.WhisperFeatureExtractor(),
        ),
        "clap": lambda: (
            tf.ClapModel(
                tf.ClapConfig(
                    text_config={
                        "hidden_size": 16,
                        "num_hidden_layers": 1,
                        "num_attention_heads": 2,
                        "intermediate_size": 32,
                    },
                    audio_config={
                        "hidden_size": 32,
                        "patch_embeds_hidden_size": 8,
                        "depths": [1, 1],
                        "num_attention_heads": [2, 2],
                        "window_size": 4,
                        "num_mel_bins": 64,
                        "spec_size": 256,
                        "enable_fusion": False,
                    },
                    projection_dim=16,
                )
            ),
            tf.ClapFeatureExtractor(feature_size=64),
        ),
    }
    if family == "bert":  # not an audio encoder: refused
        bert = tf.BertModel(tf.BertConfig(**SMALL, vocab_size=50))
        bert.save_pretrained(root / family)
        return root / family
    model, extractor = makers[family]()
    folder = root / family
    model.save_pretrained(folder)
    extractor.save_pretrained(folder)
    return folder
