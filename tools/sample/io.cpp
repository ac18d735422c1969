#include "io.hpp"

#include <chrono>
#include <filesystem>
#include <fmt/format.h>
#include <functional>
#include <gdal_priv.h>
#include <memory>
#include <ogr_geometry.h>
#include <ogr_spatialref.h>
#include <ogrsf_frmts.h>
#include <stdexcept>

namespace landclear::sample {
namespace {

namespace fs = std::filesystem;

struct CtDeleter {
    void operator()(OGRCoordinateTransformation* ct) const {
        OGRCoordinateTransformation::DestroyCT(ct);
    }
};
using CtPtr = std::unique_ptr<OGRCoordinateTransformation, CtDeleter>;

OGRSpatialReference srs_from(const std::string& text) {
    OGRSpatialReference srs;
    if (srs.SetFromUserInput(text.c_str()) != OGRERR_NONE) {
        throw std::runtime_error("unknown CRS: " + text);
    }
    srs.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
    return srs;
}

CtPtr make_ct(const OGRSpatialReference& from, const OGRSpatialReference& to) {
    CtPtr ct(OGRCreateCoordinateTransformation(&from, &to));
    if (!ct) {
        throw std::runtime_error("cannot create coordinate transformation");
    }
    return ct;
}

// Polygonal part of a GEOS geometry (MakeValid may return a collection with lines).
GeomPtr polygonal(GeosContext& geos, GeomPtr g) {
    const int type = GEOSGeomTypeId_r(geos.get(), g.get());
    if (type == GEOS_POLYGON || type == GEOS_MULTIPOLYGON) {
        return g;
    }
    std::vector<GEOSGeometry*> parts;
    const int n = GEOSGetNumGeometries_r(geos.get(), g.get());
    for (int k = 0; k < n; ++k) {
        const GEOSGeometry* part = GEOSGetGeometryN_r(geos.get(), g.get(), k);
        const int pt = GEOSGeomTypeId_r(geos.get(), part);
        if (pt == GEOS_POLYGON) {
            parts.push_back(GEOSGeom_clone_r(geos.get(), part));
        } else if (pt == GEOS_MULTIPOLYGON) {
            for (int m = 0; m < GEOSGetNumGeometries_r(geos.get(), part); ++m) {
                parts.push_back(
                    GEOSGeom_clone_r(geos.get(), GEOSGetGeometryN_r(geos.get(), part, m)));
            }
        }
    }
    return geos.own(GEOSGeom_createCollection_r(geos.get(), GEOS_MULTIPOLYGON, parts.data(),
                                                static_cast<unsigned>(parts.size())),
                    "collection");
}

// --- writing -------------------------------------------------------------------------------

bool driver_lists_option(GDALDriver* driver, const char* list_item, const char* option) {
    const char* list = driver->GetMetadataItem(list_item);
    return list != nullptr &&
           std::string(list).find(std::string("name='") + option + "'") != std::string::npos;
}

std::string extension_for(GDALDriver* driver) {
    const std::string name = driver->GetDescription();
    if (name == "GeoJSON") {
        return "geojson";
    }
    if (const char* ext = driver->GetMetadataItem(GDAL_DMD_EXTENSION)) {
        return ext;
    }
    if (const char* exts = driver->GetMetadataItem(GDAL_DMD_EXTENSIONS)) {
        std::string s = exts;
        return s.substr(0, s.find(' '));
    }
    return "dat";
}

struct FieldSpec {
    const char* name;
    OGRFieldType type;
};

class LayerWriter {
public:
    LayerWriter(GDALDataset* ds, GDALDriver* driver, const char* name, OGRwkbGeometryType type,
                OGRSpatialReference& srs, const std::vector<FieldSpec>& fields) {
        const std::string driver_name = driver->GetDescription();
        const bool shapefile = driver_name == "ESRI Shapefile";
        // GeoPackage: the R-tree is created on the empty table, so that GDAL updates it in
        // batches at each commit while features are written, instead of building it in one go
        // when the file is closed.
        const bool gpkg = driver_name == "GPKG";
        CPLStringList lco;
        if (driver_lists_option(driver, GDAL_DS_LAYER_CREATIONOPTIONLIST, "SPATIAL_INDEX")) {
            lco.SetNameValue("SPATIAL_INDEX", gpkg ? "NO" : "YES");
        }
        if (driver_lists_option(driver, GDAL_DS_LAYER_CREATIONOPTIONLIST, "GEOMETRY_NAME")) {
            lco.SetNameValue("GEOMETRY_NAME", "geom");
        }
        if (shapefile) {
            lco.SetNameValue("ENCODING", "UTF-8"); // writes the .cpg
            lco.SetNameValue("RESIZE", "YES");
        }
        m_layer = ds->CreateLayer(name, &srs, type, lco.List());
        if (m_layer == nullptr) {
            throw std::runtime_error(
                fmt::format("cannot create layer {}: {}", name, CPLGetLastErrorMsg()));
        }
        for (const FieldSpec& f : fields) {
            OGRFieldDefn defn(f.name, f.type);
            if (shapefile && f.type == OFTString) {
                defn.SetWidth(254); // bytes; RESIZE shrinks it to the longest value
            }
            if (m_layer->CreateField(&defn) != OGRERR_NONE) {
                throw std::runtime_error(fmt::format("cannot create field {}.{}", name, f.name));
            }
        }
        if (gpkg) {
            const std::string sql = fmt::format("SELECT CreateSpatialIndex('{}', '{}')", name,
                                                m_layer->GetGeometryColumn());
            OGRLayer* result = ds->ExecuteSQL(sql.c_str(), nullptr, nullptr);
            OGRFeatureUniquePtr row(result != nullptr ? result->GetNextFeature() : nullptr);
            const bool ok = row && row->GetFieldAsInteger(0) == 1;
            row.reset();
            if (result != nullptr) {
                ds->ReleaseResultSet(result);
            }
            if (!ok) {
                throw std::runtime_error(fmt::format("cannot create the spatial index of {}: {}",
                                                     name, CPLGetLastErrorMsg()));
            }
        }
        m_feature.reset(OGRFeature::CreateFeature(m_layer->GetLayerDefn()));
    }

    OGRFeature& feature() { return *m_feature; }

    void write(std::unique_ptr<OGRGeometry> geom, const OGRCoordinateTransformation* ct) {
        if (ct != nullptr &&
            geom->transform(const_cast<OGRCoordinateTransformation*>(ct)) != OGRERR_NONE) {
            throw std::runtime_error("coordinate transformation failed");
        }
        m_feature->SetGeometryDirectly(geom.release());
        m_feature->SetFID(OGRNullFID);
        if (m_layer->CreateFeature(m_feature.get()) != OGRERR_NONE) {
            throw std::runtime_error(fmt::format("cannot write feature: {}", CPLGetLastErrorMsg()));
        }
        ++m_count;
    }
    std::size_t count() const { return m_count; }

private:
    OGRLayer* m_layer = nullptr;
    OGRFeatureUniquePtr m_feature;
    std::size_t m_count = 0;
};

std::unique_ptr<OGRGeometry> ring_multipolygon(const Vec2* pts, std::size_t n) {
    std::vector<double> xs(n + 1);
    std::vector<double> ys(n + 1);
    for (std::size_t k = 0; k <= n; ++k) {
        xs[k] = pts[k % n].x;
        ys[k] = pts[k % n].y;
    }
    auto ring = std::make_unique<OGRLinearRing>();
    ring->setPoints(static_cast<int>(n + 1), xs.data(), ys.data());
    auto poly = std::make_unique<OGRPolygon>();
    poly->addRingDirectly(ring.release());
    auto multi = std::make_unique<OGRMultiPolygon>();
    multi->addGeometryDirectly(poly.release());
    return multi;
}

struct LayerSpec {
    const char* name;
    OGRwkbGeometryType type;
    std::vector<FieldSpec> fields;
};

const std::vector<LayerSpec>& layer_specs() {
    static const std::vector<LayerSpec> specs = {
        {"parcels",
         wkbMultiPolygon,
         {{"parcel_code", OFTString},
          {"project_code", OFTString},
          {"district", OFTString},
          {"village", OFTString},
          {"owner_type", OFTString},
          {"land_class", OFTString},
          {"acquired_on", OFTDate},
          {"cleared_on", OFTDate},
          {"delivered_on", OFTDate}}},
        {"buildings",
         wkbMultiPolygon,
         {{"building_code", OFTString},
          {"parcel_code", OFTString},
          {"households", OFTInteger},
          {"floor_area_m2", OFTReal},
          {"signed_on", OFTDate},
          {"demolished_on", OFTDate}}},
        {"corridors",
         wkbLineString,
         {{"corridor_code", OFTString},
          {"project_code", OFTString},
          {"name", OFTString},
          {"width_m", OFTReal},
          {"start_chainage_m", OFTReal}}},
        {"projects",
         wkbMultiPolygon,
         {{"project_code", OFTString},
          {"name", OFTString},
          {"district", OFTString},
          {"unit", OFTString},
          {"deadline", OFTDate}}},
    };
    return specs;
}

} // namespace

struct SampleWriter::Impl {
    using Clock = std::chrono::steady_clock;

    struct Slot {
        std::string file;
        GDALDatasetUniquePtr own_ds; // single-layer formats: one dataset per layer
        bool transaction = false;
        std::unique_ptr<LayerWriter> writer;
        Clock::duration time{};
    };

    const std::vector<District>& m_districts;
    const std::vector<Village>& m_villages;
    const OutputOptions& m_options;
    OGRSpatialReference m_srs;
    OGRSpatialReference m_work;
    CtPtr m_ct;
    GDALDriver* m_driver = nullptr;
    bool m_container = false;
    GDALDatasetUniquePtr m_ds; // multi-layer formats
    bool m_transaction = false;
    static constexpr std::size_t kCommitEvery = 100'000; // features
    std::size_t m_since_commit = 0;
    Clock::duration m_commit_time{};
    std::vector<Slot> m_slots;
    Clock::time_point m_t0 = Clock::now();

    Impl(const std::vector<District>& districts, const std::vector<Village>& villages,
         const OutputOptions& options)
        : m_districts(districts), m_villages(villages), m_options(options),
          m_srs(srs_from(options.crs)), m_work(srs_from(kWorkingCrs)) {
        m_driver = GetGDALDriverManager()->GetDriverByName(options.format.c_str());
        if (m_driver == nullptr || m_driver->GetMetadataItem(GDAL_DCAP_VECTOR) == nullptr ||
            m_driver->GetMetadataItem(GDAL_DCAP_CREATE) == nullptr) {
            throw std::runtime_error("no OGR vector driver that can create: " + options.format);
        }
        m_container = m_driver->GetMetadataItem(GDAL_DCAP_MULTIPLE_VECTOR_LAYERS) != nullptr;
        if (!m_srs.IsSame(&m_work)) {
            m_ct = make_ct(m_work, m_srs);
        }
        if (m_container) {
            // Reproducible files: GeoPackage's gpkg_contents.last_change is the as-of day.
            const Ymd ymd = to_ymd(options.as_of);
            CPLSetConfigOption("OGR_CURRENT_DATE", fmt::format("{:04d}-{:02d}-{:02d}T00:00:00.000Z",
                                                               ymd.year, ymd.month, ymd.day)
                                                       .c_str());
            m_ds = create(m_options.path);
            // parcels first: the largest layer
            for (const LayerSpec& spec : layer_specs()) {
                Slot slot;
                slot.file = m_options.path;
                slot.writer = std::make_unique<LayerWriter>(m_ds.get(), m_driver, spec.name,
                                                            spec.type, m_srs, spec.fields);
                m_slots.push_back(std::move(slot));
            }
            m_transaction = m_ds->StartTransaction() == OGRERR_NONE;
        } else {
            if (fs::exists(m_options.path) && !fs::is_directory(m_options.path)) {
                throw std::runtime_error(m_options.path + " exists and is not a directory (" +
                                         m_options.format + " writes one file per layer)");
            }
            fs::create_directories(m_options.path);
            for (const LayerSpec& spec : layer_specs()) {
                Slot slot;
                slot.file = (fs::path(m_options.path) /
                             (std::string(spec.name) + "." + extension_for(m_driver)))
                                .string();
                slot.own_ds = create(slot.file);
                slot.writer = std::make_unique<LayerWriter>(slot.own_ds.get(), m_driver, spec.name,
                                                            spec.type, m_srs, spec.fields);
                slot.transaction = slot.own_ds->StartTransaction() == OGRERR_NONE;
                m_slots.push_back(std::move(slot));
            }
        }
    }

    GDALDatasetUniquePtr create(const std::string& path) {
        if (fs::exists(path)) {
            if (!m_options.overwrite) {
                throw std::runtime_error(path + " exists (use --overwrite)");
            }
            CPLPushErrorHandler(CPLQuietErrorHandler);
            const CPLErr err = m_driver->Delete(path.c_str());
            CPLPopErrorHandler();
            if (err != CE_None && fs::is_regular_file(path)) {
                fs::remove(path);
            }
            if (fs::exists(path)) {
                throw std::runtime_error("cannot remove " + path);
            }
        }
        GDALDatasetUniquePtr ds(m_driver->Create(path.c_str(), 0, 0, 0, GDT_Unknown, nullptr));
        if (!ds) {
            throw std::runtime_error(
                fmt::format("cannot create {}: {}", path, CPLGetLastErrorMsg()));
        }
        return ds;
    }

    // Status dates after the as-of day are not known yet: null. Deadlines lie ahead.
    void set_date(OGRFeature& f, int idx, Day d, bool future_ok = false) const {
        if ((d > m_options.as_of && !future_ok) || d >= kNever) {
            f.SetFieldNull(idx);
        } else {
            const Ymd ymd = to_ymd(d);
            f.SetField(idx, ymd.year, ymd.month, ymd.day, 0, 0, 0.0f, 0);
        }
    }

    template <class Fn> void timed(std::size_t slot, Fn fn) {
        const auto t = Clock::now();
        fn(*m_slots[slot].writer, m_slots[slot].writer->feature());
        m_slots[slot].time += Clock::now() - t;
    }

    void add(const ProjectData& p) {
        const char* district = m_districts[p.district].name.c_str();
        // Several large transactions rather than one: each commit also flushes GDAL's pending
        // R-tree entries (GeoPackage), so the index grows while the generator keeps working.
        m_since_commit += p.parcels.size() + p.buildings.size();
        if (m_transaction && m_since_commit >= kCommitEvery) {
            const auto t = Clock::now();
            if (m_ds->CommitTransaction() != OGRERR_NONE ||
                m_ds->StartTransaction() != OGRERR_NONE) {
                throw std::runtime_error("commit failed: " + std::string(CPLGetLastErrorMsg()));
            }
            m_commit_time += Clock::now() - t;
            m_since_commit = 0;
        }
        timed(0, [&](LayerWriter& w, OGRFeature& f) {
            for (const Parcel& parcel : p.parcels) {
                f.SetField(0, parcel.code.c_str());
                f.SetField(1, p.code.c_str());
                f.SetField(2, district);
                f.SetField(3, m_villages[parcel.village].name.c_str());
                f.SetField(4, parcel.state_owned ? "国有" : "集体");
                f.SetField(5, parcel.land_class);
                set_date(f, 6, parcel.acquired);
                set_date(f, 7, parcel.cleared);
                set_date(f, 8, parcel.delivered);
                w.write(ring_multipolygon(&p.coords[parcel.first], parcel.count), m_ct.get());
            }
        });
        timed(1, [&](LayerWriter& w, OGRFeature& f) {
            for (const Building& b : p.buildings) {
                const std::string& parcel = p.parcels[b.parcel].code;
                // 不动产单元号 style: ZDDM + F + 4-digit building number + 0000
                f.SetField(0, fmt::format("{}F{:04d}0000", parcel, b.number).c_str());
                f.SetField(1, parcel.c_str());
                f.SetField(2, b.households);
                f.SetField(3, b.floor_area);
                set_date(f, 4, b.signed_on);
                set_date(f, 5, b.demolished_on);
                w.write(ring_multipolygon(b.ring.data(), b.ring.size()), m_ct.get());
            }
        });
        if (p.corridor) {
            timed(2, [&](LayerWriter& w, OGRFeature& f) {
                const Corridor& c = *p.corridor;
                f.SetField(0, c.code.c_str());
                f.SetField(1, p.code.c_str());
                f.SetField(2, c.name.c_str());
                f.SetField(3, c.width);
                f.SetField(4, c.start_chainage);
                auto line = std::make_unique<OGRLineString>();
                line->setNumPoints(static_cast<int>(c.line.size()), FALSE);
                for (std::size_t k = 0; k < c.line.size(); ++k) {
                    line->setPoint(static_cast<int>(k), c.line[k].x, c.line[k].y);
                }
                w.write(std::move(line), m_ct.get());
            });
        }
        timed(3, [&](LayerWriter& w, OGRFeature& f) {
            f.SetField(0, p.code.c_str());
            f.SetField(1, p.name.c_str());
            f.SetField(2, district);
            f.SetField(3, p.unit.c_str());
            set_date(f, 4, p.deadline, /*future_ok=*/true);
            OGRGeometry* raw = nullptr;
            if (OGRGeometryFactory::createFromWkb(p.red_line_wkb.data(), nullptr, &raw,
                                                  p.red_line_wkb.size()) != OGRERR_NONE) {
                throw std::runtime_error("bad red line WKB for " + p.code);
            }
            w.write(std::unique_ptr<OGRGeometry>(OGRGeometryFactory::forceToMultiPolygon(raw)),
                    m_ct.get());
        });
    }

    static double seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

    void close() {
        const auto t = Clock::now();
        std::vector<std::size_t> counts;
        for (Slot& slot : m_slots) {
            counts.push_back(slot.writer->count());
            slot.writer.reset();
            if (slot.own_ds) {
                const auto t1 = Clock::now();
                if (slot.transaction && slot.own_ds->CommitTransaction() != OGRERR_NONE) {
                    throw std::runtime_error("commit failed: " + std::string(CPLGetLastErrorMsg()));
                }
                slot.own_ds.reset(); // e.g. FlatGeobuf sorts and writes its index here
                slot.time += Clock::now() - t1;
            }
        }
        if (m_ds) {
            if (m_transaction && m_ds->CommitTransaction() != OGRERR_NONE) {
                throw std::runtime_error("commit failed: " + std::string(CPLGetLastErrorMsg()));
            }
            m_ds.reset(); // deferred spatial indexes are built here
        }
        for (std::size_t k = 0; k < m_slots.size(); ++k) {
            fmt::print(stderr, "{:<10} {:>9} features {:7.2f} s  {}\n", layer_specs()[k].name,
                       counts[k], seconds(m_slots[k].time), m_slots[k].file);
        }
        if (m_container) {
            fmt::print(stderr, "{:<10} {:>9}          {:7.2f} s  (intermediate commits{})\n",
                       "commits", "", seconds(m_commit_time),
                       m_driver->GetDescription() == std::string("GPKG") ? " with R-tree updates"
                                                                         : "");
            fmt::print(stderr, "{:<10} {:>9}          {:7.2f} s  (last commit, close)\n", "finish",
                       "", seconds(Clock::now() - t));
        }
    }
};

SampleWriter::SampleWriter(const std::vector<District>& districts,
                           const std::vector<Village>& villages, const OutputOptions& options)
    : m_impl(std::make_unique<Impl>(districts, villages, options)) {}
SampleWriter::~SampleWriter() = default;
void SampleWriter::add(const ProjectData& project) {
    m_impl->add(project);
}
void SampleWriter::close() {
    m_impl->close();
}

std::vector<District> load_districts(const std::string& path, GeosContext& geos) {
    GDALDatasetUniquePtr ds(GDALDataset::Open(path.c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY));
    if (!ds || ds->GetLayerCount() < 1) {
        throw std::runtime_error("cannot open districts: " + path);
    }
    OGRLayer* layer = ds->GetLayer(0);
    OGRSpatialReference source = srs_from("EPSG:4326");
    if (const OGRSpatialReference* declared = layer->GetSpatialRef()) {
        source = *declared;
        source.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
    }
    const OGRSpatialReference work = srs_from(kWorkingCrs);
    CtPtr ct = make_ct(source, work);
    const int name_idx = layer->GetLayerDefn()->GetFieldIndex("name");
    const int id_idx = layer->GetLayerDefn()->GetFieldIndex("id");
    const int cp_idx = layer->GetLayerDefn()->GetFieldIndex("cp");
    std::vector<District> out;
    for (auto& feature : *layer) {
        OGRGeometry* g = feature->GetGeometryRef();
        if (g == nullptr) {
            continue;
        }
        District d;
        d.name = name_idx >= 0 ? feature->GetFieldAsString(name_idx)
                               : fmt::format("区{}", out.size() + 1);
        d.code =
            id_idx >= 0 ? feature->GetFieldAsString(id_idx) : fmt::format("{}", feature->GetFID());
        if (d.code.size() != 6 || d.code.find_first_not_of("0123456789") != std::string::npos) {
            d.code = fmt::format("{:06d}", 430300 + out.size() + 1);
        }
        std::unique_ptr<OGRGeometry> copy(g->clone());
        if (copy->transform(ct.get()) != OGRERR_NONE) {
            throw std::runtime_error("cannot reproject district " + d.name);
        }
        std::vector<unsigned char> wkb(static_cast<std::size_t>(copy->WkbSize()));
        copy->exportToWkb(wkbNDR, wkb.data());
        GeomPtr raw = geos.from_wkb(wkb);
        GeomPtr valid = GEOSisValid_r(geos.get(), raw.get()) == 1
                            ? std::move(raw)
                            : geos.own(GEOSMakeValid_r(geos.get(), raw.get()), "MakeValid");
        d.geom = polygonal(geos, std::move(valid));
        d.prepared = geos.prepare(d.geom.get());
        d.boundary = geos.own(GEOSBoundary_r(geos.get(), d.geom.get()), "boundary");
        d.prepared_boundary = geos.prepare(d.boundary.get());
        d.box = geos.bounds(d.geom.get());
        d.area = geos.area(d.geom.get());
        int n = 0;
        const double* cp = cp_idx >= 0 ? feature->GetFieldAsDoubleList(cp_idx, &n) : nullptr;
        if (cp != nullptr && n == 2) {
            double x = cp[0];
            double y = cp[1];
            ct->Transform(1, &x, &y);
            d.centre = {x, y};
        }
        GeomPtr centre_pt = geos.point(d.centre);
        if (cp == nullptr || n != 2 ||
            GEOSPreparedContains_r(geos.get(), d.prepared.get(), centre_pt.get()) != 1) {
            GeomPtr p = geos.own(GEOSPointOnSurface_r(geos.get(), d.geom.get()), "PointOnSurface");
            GEOSGeomGetX_r(geos.get(), p.get(), &d.centre.x);
            GEOSGeomGetY_r(geos.get(), p.get(), &d.centre.y);
        }
        out.push_back(std::move(d));
    }
    if (out.empty()) {
        throw std::runtime_error("no district polygons in " + path);
    }
    return out;
}

} // namespace landclear::sample
