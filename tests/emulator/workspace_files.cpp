// The emulated workspace's file uploads: files.getUploadURLExternal, the POST of the bytes to the
// upload URL, and files.completeUploadExternal, which shares the file as a message in a channel.
#include <algorithm>

#include "tests/emulator/workspace_answers.hpp"
#include "tests/emulator/workspace_model.hpp"

namespace desk::emulator {
namespace {

using Json = nlohmann::json;
using namespace answers;

/// Slack's own ceiling for one upload is 1 GB; the emulator's HTTP parser stops at 8 MB.
constexpr std::size_t kMaxLength = 8u * 1024 * 1024;

}  // namespace

ApiResponse WorkspaceModel::files_upload_url(const Json& args) {
  const std::string name = arg(args, "filename");
  const std::string length = arg(args, "length");
  if (name.empty() || length.empty()) return fail("invalid_arguments");
  std::size_t declared = 0;
  try {
    std::size_t used = 0;
    const long long value = std::stoll(length, &used);
    if (used != length.size() || value <= 0 || static_cast<unsigned long long>(value) > kMaxLength)
      return fail("invalid_arguments");
    declared = static_cast<std::size_t>(value);
  } catch (const std::exception&) { return fail("invalid_arguments"); }
  UploadedFile file;
  file.id = "F0" + std::to_string(1000 + files_.size());
  file.name = name;
  file.alt_text = arg(args, "alt_txt");
  file.declared_length = declared;
  files_.push_back(file);
  const std::string url = upload_url ? upload_url(file.id) : "https://files.emulated.slack.com/upload/v1/" + file.id;
  return ok({{"upload_url", url}, {"file_id", file.id}});
}

ApiResponse WorkspaceModel::receive_upload(const std::string& file_id, const std::string& bytes,
                                           SteadyClock::time_point now) {
  CallRecord record;
  record.method = "upload";
  record.auth = "none";
  record.at = now;
  record.args = {{"file_id", file_id}, {"length", bytes.size()}};
  const auto file = std::find_if(files_.begin(), files_.end(), [&](const UploadedFile& f) { return f.id == file_id; });
  ApiResponse answer{200, Json("OK - " + std::to_string(bytes.size())), std::nullopt};
  if (file == files_.end()) {
    answer = ApiResponse{404, Json("no such upload"), std::nullopt};
  } else if (file->uploaded || file->completed || bytes.size() != file->declared_length) {
    answer = ApiResponse{400, Json("the upload was made, or its length is not the one declared"), std::nullopt};
  } else {
    file->bytes = bytes;
    file->uploaded = true;
  }
  record.status = answer.status;
  calls_.push_back(std::move(record));
  return answer;
}

ApiResponse WorkspaceModel::files_complete_upload(const Json& args) {
  // decode_form turns the `files` JSON text into the array it holds.
  const auto files = args.find("files");
  if (files == args.end() || !files->is_array() || files->empty()) return fail("invalid_arguments");
  std::vector<UploadedFile*> completing;
  for (const auto& f : *files) {
    if (!f.is_object() || !f.contains("id") || !f["id"].is_string()) return fail("invalid_arguments");
    const auto it = std::find_if(files_.begin(), files_.end(), [&](const UploadedFile& u) { return u.id == f["id"]; });
    if (it == files_.end() || !it->uploaded || it->completed) return fail("file_not_found");
    completing.push_back(&*it);
  }
  const std::string channel_id = arg(args, "channel_id");
  if (!channel_id.empty()) {
    const auto channel = channels_.find(channel_id);
    if (channel == channels_.end() || (channel->second.is_private && !channel->second.is_member))
      return fail("channel_not_found");
    if (!channel->second.is_member) return fail("not_in_channel");
  }
  Json shared = Json::array();
  for (std::size_t i = 0; i < completing.size(); ++i) {
    UploadedFile& file = *completing[i];
    const Json& asked = (*files)[i];
    file.title = asked.contains("title") && asked["title"].is_string() ? asked["title"].get<std::string>() : file.name;
    file.completed = true;
    shared.push_back({{"id", file.id}, {"name", file.name}, {"title", file.title}, {"size", file.bytes.size()}});
    if (!channel_id.empty()) file.shared_in.push_back(channel_id);
  }
  if (!channel_id.empty()) {
    Json message{{"type", "message"}, {"user", "U0BOT"}, {"ts", next_ts()}, {"text", arg(args, "initial_comment")},
                 {"files", shared},   {"upload", true}};
    if (const auto thread = arg(args, "thread_ts"); !thread.empty()) message["thread_ts"] = thread;
    messages_[channel_id].push_back(std::move(message));
  }
  return ok({{"files", shared}});
}

std::vector<UploadedFile> WorkspaceModel::files() const { return files_; }

}  // namespace desk::emulator
