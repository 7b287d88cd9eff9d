#include "csfpk/core/errors.hpp"

#include <sstream>

namespace csfpk {
namespace {
std::string located(const std::string& file, int line, const std::string& field,
                    const std::string& message) {
  std::ostringstream out;
  out << file;
  if (line > 0) out << ':' << line;
  if (!field.empty()) out << ": " << field;
  out << ": " << message;
  return out.str();
}
std::string solver_message(const std::string& drug, double time_h, const std::string& cause) {
  std::ostringstream out;
  out << "solver failed for drug '" << drug << "' at t = " << time_h << " h: " << cause;
  return out.str();
}
}  // namespace

InputError::InputError(std::string file, int line, std::string field, const std::string& message)
    : Error(located(file, line, field, message)),
      file_(std::move(file)),
      line_(line),
      field_(std::move(field)),
      message_(message) {}

InputError::InputError(const std::string& message) : Error(message), message_(message) {}

SolverError::SolverError(std::string drug, double time_h, const std::string& cause)
    : Error(solver_message(drug, time_h, cause)), drug_(std::move(drug)), time_h_(time_h) {}

}  // namespace csfpk
