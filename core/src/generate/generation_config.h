#pragma once
// Reading DIR/generation_config.json (transformers' GenerationConfig file) and the tokens that
// end generation. Torch-free.
#include "ps/chat_template.h"
#include "ps/generate.h"

#include <cstdint>
#include <string>
#include <vector>

namespace ps::gen {

// eos_token_id of DIR/generation_config.json (an integer or a list); empty when absent.
std::vector<std::int32_t> generationConfigEosIds(const std::string& modelDir);

// The token that ends an assistant turn in a chat family's template, when it is not simply the
// EOS token: <|im_end|> (chatml), <|eot_id|> (llama3), <end_of_turn> (gemma), <|end|> (phi3).
// "" for the families whose turns end with EOS (llama2, mistral, zephyr, alpaca, plain).
std::string endOfTurnToken(ChatFamily family);

} // namespace ps::gen
