#include "landclear/io/gdal_write.hpp"

#include "landclear/core/error.hpp"
#include "landclear/io/gdal_util.hpp"

#include <fmt/format.h>

namespace landclear::gdal {

namespace {

std::string because(const GdalErrorCapture& capture) {
    auto why = capture.errors();
    return why.empty() ? std::string() : ": " + why;
}

} // namespace

Dataset::Dataset(const std::string& driver, const std::string& path, const std::string& display,
                 CSLConstList options, ErrorKind kind)
    : m_driver(driver), m_display(display.empty() ? path : display), m_kind(kind) {
    ensure_gdal_registered();
    GdalErrorCapture capture;
    auto* d = GetGDALDriverManager()->GetDriverByName(driver.c_str());
    if (!d)
        throw_internal(fmt::format("GDAL has no {} driver", driver));
    m_ds.reset(d->Create(path.c_str(), 0, 0, 0, GDT_Unknown, options));
    if (!m_ds)
        throw Error(m_kind, fmt::format("cannot create {}{}", describe(), because(capture)),
                    "check that the folder exists and is writable");
}

Dataset Dataset::open_update(const std::string& driver, const std::string& path,
                             const std::string& display) {
    ensure_gdal_registered();
    GdalErrorCapture capture;
    Dataset ds;
    ds.m_driver = driver;
    ds.m_display = display.empty() ? path : display;
    const char* drivers[] = {driver.c_str(), nullptr};
    ds.m_ds.reset(GDALDataset::Open(path.c_str(), GDAL_OF_VECTOR | GDAL_OF_UPDATE, drivers, nullptr,
                                    nullptr));
    if (!ds.m_ds)
        throw_input(fmt::format("cannot open {} for update{}", ds.describe(), because(capture)));
    return ds;
}

Dataset::~Dataset() {
    if (!m_ds)
        return;
    // Only reached without close(), i.e. while an error unwinds: its message says enough.
    GdalErrorCapture quiet;
    m_ds.reset();
    quiet.clear_errors();
}

std::string Dataset::describe() const {
    return fmt::format("{} ({})", m_display, m_driver);
}

Layer Dataset::create_layer(const std::string& name, const OGRSpatialReference* srs,
                            OGRwkbGeometryType type, CSLConstList options) {
    GdalErrorCapture capture;
    OGRLayer* layer = m_ds->CreateLayer(name.c_str(), const_cast<OGRSpatialReference*>(srs), type,
                                        const_cast<char**>(options));
    if (!layer)
        throw Error(m_kind, fmt::format("cannot create layer {} in {}{}", name, describe(),
                                        because(capture)));
    return Layer(describe(), *layer, m_kind);
}

void Dataset::delete_layer(const std::string& name) {
    GdalErrorCapture capture;
    for (int i = 0; i < m_ds->GetLayerCount(); ++i)
        if (EQUAL(m_ds->GetLayer(i)->GetName(), name.c_str())) {
            if (m_ds->DeleteLayer(i) != OGRERR_NONE)
                throw Error(m_kind, fmt::format("cannot replace layer {} in {}{}", name, describe(),
                                                because(capture)));
            return;
        }
}

bool Dataset::start_transaction() {
    GdalErrorCapture capture;
    if (!m_ds->TestCapability(ODsCTransactions))
        return false;
    if (m_ds->StartTransaction() != OGRERR_NONE)
        throw Error(m_kind, fmt::format("cannot start a transaction in {}{}", describe(),
                                        because(capture)));
    return true;
}

void Dataset::commit_transaction() {
    GdalErrorCapture capture;
    if (m_ds->CommitTransaction() != OGRERR_NONE)
        throw Error(m_kind, fmt::format("cannot write {}{}", describe(), because(capture)));
}

void Dataset::close() {
    GdalErrorCapture capture;
    m_ds.reset();
    auto why = capture.errors();
    if (!why.empty())
        throw Error(m_kind, fmt::format("cannot write {}: {}", describe(), why));
}

Layer::Layer(std::string dataset, OGRLayer& layer, ErrorKind kind)
    : m_dataset(std::move(dataset)), m_layer(&layer), m_kind(kind) {}

int Layer::add_field(const OGRFieldDefn& field, bool approx_ok) {
    GdalErrorCapture capture;
    int before = defn().GetFieldCount();
    if (m_layer->CreateField(const_cast<OGRFieldDefn*>(&field), approx_ok) != OGRERR_NONE ||
        defn().GetFieldCount() != before + 1)
        throw Error(m_kind, fmt::format("cannot create field {} in layer {} of {}{}",
                                        field.GetNameRef(), name(), m_dataset, because(capture)));
    return before;
}

int Layer::add_field(const std::string& field, OGRFieldType type, int width, int precision) {
    OGRFieldDefn fd(field.c_str(), type);
    fd.SetWidth(width);
    fd.SetPrecision(precision);
    return add_field(fd);
}

void Layer::add_feature(OGRFeature& feature, const std::string& what) {
    GdalErrorCapture capture;
    if (m_layer->CreateFeature(&feature) != OGRERR_NONE)
        throw Error(m_kind,
                    fmt::format("cannot write {} to layer {} of {}{}",
                                what.empty() ? fmt::format("feature {}", feature.GetFID()) : what,
                                name(), m_dataset, because(capture)));
}

Feature::Feature(Layer& layer)
    : m_layer(&layer), m_feature(OGRFeature::CreateFeature(&layer.defn())) {
    if (!m_feature)
        throw_internal(fmt::format("cannot create a feature for layer {}", layer.name()));
}

void Feature::set_geometry(OGRGeometryUniquePtr geometry) {
    if (m_feature->SetGeometryDirectly(geometry.release()) != OGRERR_NONE)
        throw_internal(fmt::format("layer {} does not take this geometry type", m_layer->name()));
}

void Feature::add_to_layer(const std::string& what) {
    m_layer->add_feature(*m_feature, what);
}

} // namespace landclear::gdal
