#include "landclear/core/schema.hpp"

#include <array>
#include <charconv>
#include <fmt/format.h>

namespace landclear {

namespace {
using FT = FieldType;

constexpr std::array project_fields{
    FieldDef{"project_code", FT::text, true, "项目编号"},
    FieldDef{"name", FT::text, true, "项目名称"},
    FieldDef{"district", FT::text, false, "区县"},
    FieldDef{"unit", FT::text, false, "责任单位"},
    FieldDef{"deadline", FT::date, false, "限期"},
};
constexpr std::array corridor_fields{
    FieldDef{"corridor_code", FT::text, true, "线路编号"},
    FieldDef{"project_code", FT::text, true, "项目编号"},
    FieldDef{"name", FT::text, false, "线路名称"},
    FieldDef{"width_m", FT::real, true, "红线宽度(米)"},
    FieldDef{"start_chainage_m", FT::real, false, "起点桩号(米)"},
    FieldDef{"left_width_m", FT::real, false, "左侧宽度(米)"},
    FieldDef{"right_width_m", FT::real, false, "右侧宽度(米)"},
    // Chainage breaks (断链), "K12+345.6=K12+300;...": geom/chainage.hpp.
    FieldDef{"chainage_breaks", FT::text, false, "断链"},
    // The alignment's chainage prefix (左线 ZK, 右线 YK, a ramp AK ...); empty: K.
    FieldDef{"alignment", FT::text, false, "线位"},
};
constexpr std::array parcel_fields{
    FieldDef{"parcel_code", FT::text, true, "宗地编号"},
    FieldDef{"project_code", FT::text, true, "项目编号"},
    FieldDef{"district", FT::text, false, "区县"},
    FieldDef{"village", FT::text, false, "村(社区)"},
    FieldDef{"owner_type", FT::text, false, "权属性质"},
    FieldDef{"land_class", FT::text, false, "地类编码"},
    FieldDef{"acquired_on", FT::date, false, "征地日期"},
    FieldDef{"cleared_on", FT::date, false, "腾地日期"},
    FieldDef{"delivered_on", FT::date, false, "交地日期"},
};
constexpr std::array building_fields{
    FieldDef{"building_code", FT::text, true, "房屋编号"},
    FieldDef{"parcel_code", FT::text, true, "宗地编号"},
    FieldDef{"households", FT::integer, false, "户数"},
    FieldDef{"floor_area_m2", FT::real, false, "建筑面积(平方米)"},
    FieldDef{"signed_on", FT::date, false, "签约日期"},
    FieldDef{"demolished_on", FT::date, false, "拆除日期"},
};

const std::array<LayerDef, 4> layers{
    LayerDef{LayerKind::projects, "projects", "project_code", GeomKind::polygon, false,
             project_fields, "项目"},
    LayerDef{LayerKind::corridors, "corridors", "corridor_code", GeomKind::line, true,
             corridor_fields, "线路"},
    LayerDef{LayerKind::parcels, "parcels", "parcel_code", GeomKind::polygon, true, parcel_fields,
             "宗地"},
    LayerDef{LayerKind::buildings, "buildings", "building_code", GeomKind::polygon, true,
             building_fields, "房屋"},
};
} // namespace

const LayerDef& layer_def(LayerKind kind) {
    for (const auto& l : layers)
        if (l.kind == kind)
            return l;
    return layers[0];
}

std::span<const LayerDef> all_layers() {
    return layers;
}

std::optional<LayerKind> layer_from_name(std::string_view name) {
    for (const auto& l : layers)
        if (l.name == name)
            return l.kind;
    return std::nullopt;
}

int field_index(const LayerDef& def, std::string_view name) {
    for (size_t i = 0; i < def.fields.size(); ++i)
        if (def.fields[i].name == name)
            return static_cast<int>(i);
    return -1;
}

std::string value_text(const Value& v) {
    struct Visitor {
        std::string operator()(std::monostate) const { return {}; }
        std::string operator()(const std::string& s) const { return s; }
        std::string operator()(std::int64_t i) const { return std::to_string(i); }
        // Shortest round trip: 64.6, never 64.599999999999994.
        std::string operator()(double d) const {
            char buf[64];
            auto [end, ec] = std::to_chars(buf, buf + sizeof buf, d);
            return ec == std::errc() ? std::string(buf, end) : fmt::format("{}", d);
        }
        std::string operator()(const Date& d) const { return d.iso(); }
    };
    return std::visit(Visitor{}, v);
}

} // namespace landclear
