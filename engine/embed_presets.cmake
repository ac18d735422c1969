# Writes OUT: a C++ map from preset name (file stem) to its JSON text.
separate_arguments(files UNIX_COMMAND "${FILES}")
set(body "")
foreach(f ${files})
    get_filename_component(stem ${f} NAME_WE)
    file(READ ${f} text)
    string(APPEND body "        {\"${stem}\", R\"landclear_json(${text})landclear_json\"},\n")
endforeach()
file(WRITE ${OUT} "// Generated from presets/*.json by embed_presets.cmake.\n#include <map>\n#include <string>\n\nnamespace landclear {\nconst std::map<std::string, std::string>& embedded_presets() {\n    static const std::map<std::string, std::string> presets{\n${body}    };\n    return presets;\n}\n} // namespace landclear\n")
