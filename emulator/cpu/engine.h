// Which engine runs guest code: the interpreter (threaded dispatch over decoded traces,
// the reference) or the translator (the same traces compiled to host code, jit.cpp).
// Both give the same results, instruction for instruction (docs/cpu.md, "Execution engines").
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace rw::cpu {

enum class Engine : uint8_t { kInterpreter, kTranslator };

// The engine of every machine made from now on: set_default_engine, else the environment's
// REWIND_ENGINE (interp or jit), else the translator.
Engine default_engine();
void set_default_engine(Engine engine);

// "interp" or "jit"; nullopt for anything else.
std::optional<Engine> parse_engine(std::string_view name);
const char* engine_name(Engine engine);

}  // namespace rw::cpu
