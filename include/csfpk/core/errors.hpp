#pragma once
// Typed errors, caught once at the program boundary (cli, python) and mapped to exit codes.
#include <stdexcept>
#include <string>

namespace csfpk {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Bad user input: where it is (file, line, field) and what was expected, in user units.
class InputError : public Error {
 public:
  InputError(std::string file, int line, std::string field, const std::string& message);
  explicit InputError(const std::string& message);

  const std::string& file() const { return file_; }
  int line() const { return line_; }
  const std::string& field() const { return field_; }
  // What is wrong, without the location.
  const std::string& message() const { return message_; }

 private:
  std::string file_;
  int line_ = 0;
  std::string field_;
  std::string message_;
};

// The integrator could not continue: which drug, at what time (h), and why.
class SolverError : public Error {
 public:
  SolverError(std::string drug, double time_h, const std::string& cause);
  const std::string& drug() const { return drug_; }
  double time_h() const { return time_h_; }

 private:
  std::string drug_;
  double time_h_;
};

// A result file could not be read or written.
class IoError : public Error {
 public:
  using Error::Error;
};

// Raised by the unit parser without location; loaders wrap it into an InputError.
class UnitError : public Error {
 public:
  using Error::Error;
};

}  // namespace csfpk
