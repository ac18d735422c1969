#pragma once
// Writing through GDAL with every result checked: a create call that fails throws an Error that
// names the driver, the file, the layer and the field or feature, with GDAL's own reason
// (gdal_error.hpp keeps that reason off stderr). GDAL's C++ API returns null or an OGRErr that is
// easy to ignore; these small owners make ignoring it impossible.
#include "landclear/core/error.hpp"
#include "landclear/io/gdal_error.hpp"

#include <gdal_priv.h>
#include <ogrsf_frmts.h>
#include <string>

namespace landclear::gdal {

class Layer;

// A dataset being written. Closing is part of writing (buffered drivers write on close), so
// close() is checked; the destructor closes silently when an error is already on its way.
class Dataset {
public:
    // Creates `path` with the named driver ("GPKG", "CSV", "/vsistdout/" paths included);
    // `display` names the target in messages (the final name when `path` is a temporary one).
    // Failures are Error(kind): input for the user's files, internal for a buffer in memory.
    Dataset(const std::string& driver, const std::string& path, const std::string& display = {},
            CSLConstList options = nullptr, ErrorKind kind = ErrorKind::input);
    // Opens an existing file of the named driver for update.
    static Dataset open_update(const std::string& driver, const std::string& path,
                               const std::string& display = {});

    Dataset(Dataset&&) noexcept = default;
    Dataset& operator=(Dataset&&) noexcept = default;
    ~Dataset();

    GDALDataset& get() const { return *m_ds; }
    const std::string& driver() const { return m_driver; }
    const std::string& display() const { return m_display; }
    // "a.gpkg (GPKG)"
    std::string describe() const;

    Layer create_layer(const std::string& name, const OGRSpatialReference* srs,
                       OGRwkbGeometryType type, CSLConstList options = nullptr);
    // Deletes the layer of that name if there is one.
    void delete_layer(const std::string& name);

    // Where the driver has transactions (GeoPackage): one commit instead of one per feature.
    // Returns false when the driver has none.
    bool start_transaction();
    void commit_transaction();

    // Flushes and closes; throws when GDAL reports a failure while writing out.
    void close();

private:
    Dataset() = default;

    std::string m_driver, m_display;
    ErrorKind m_kind = ErrorKind::input;
    GDALDatasetUniquePtr m_ds;
};

class Layer {
public:
    // `dataset` is the dataset's description for messages.
    Layer(std::string dataset, OGRLayer& layer, ErrorKind kind = ErrorKind::input);

    OGRLayer& get() const { return *m_layer; }
    OGRFeatureDefn& defn() const { return *m_layer->GetLayerDefn(); }
    std::string name() const { return m_layer->GetName(); }

    // CreateField, checked; returns the index GDAL gave the field (drivers may add their own
    // fields first, or rename: KML, Shapefile's 10-byte names).
    int add_field(const OGRFieldDefn& field, bool approx_ok = false);
    int add_field(const std::string& name, OGRFieldType type, int width = 0, int precision = 0);

    // CreateFeature, checked; `what` names the feature in the error ("parcel 'P1'").
    void add_feature(OGRFeature& feature, const std::string& what = {});

private:
    std::string m_dataset;
    OGRLayer* m_layer;
    ErrorKind m_kind;
};

// A new feature of a layer, owned until it is added.
class Feature {
public:
    explicit Feature(Layer& layer);

    OGRFeature& get() const { return *m_feature; }
    OGRFeature* operator->() const { return m_feature.get(); }
    void set_geometry(OGRGeometryUniquePtr geometry);
    void add_to_layer(const std::string& what = {});

private:
    Layer* m_layer;
    OGRFeatureUniquePtr m_feature;
};

} // namespace landclear::gdal
