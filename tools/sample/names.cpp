#include "names.hpp"

#include <array>
#include <fmt/format.h>
#include <string_view>

namespace landclear::sample {
namespace {

// Two-character roots of village names (楠竹 + 山 + 村 = 楠竹山村).
const std::vector<std::string> kRoots = {
    "楠竹", "石塘", "梅林", "金桥", "白石", "黄龙", "青山", "杨柳", "荷塘", "双马", "长丰", "新塘",
    "和平", "先锋", "友谊", "红旗", "团结", "光明", "联盟", "龙口", "花桥", "莲花", "枫林", "松山",
    "桃源", "竹山", "茶园", "湖田", "泉水", "高塘", "大坪", "马家", "刘家", "周家", "易家", "谭家",
    "彭家", "曾家", "罗家", "石门", "金星", "银塘", "丰收", "长岭", "横塘", "新桥", "板塘", "响塘",
    "洪家", "檀木", "凤凰", "麻田", "铁炉", "云龙", "杉木", "樟树", "柏树", "桂花", "梓门", "兴隆",
    "永安", "太平", "万福", "长乐", "福星", "合心", "群力", "胜利", "东风", "向阳", "朝阳", "红星",
    "五星", "金鸡", "白鹤", "乌石", "紫荆", "晓霞", "菱角", "荷叶", "芙蓉", "古塘", "鹤岭", "砂子",
    "泥湾", "油麻", "桐梓", "蔡家", "田心", "塘冲", "石鼓", "天鹅", "仙女", "洞泉", "狮子", "观音",
    "文昌", "书院", "铜梁", "金霞", "白马", "青龙", "南岸", "北岸", "西湖", "东湖", "黄荆", "栗山",
    "桥头", "石板", "龙潭", "映山", "杏花", "楠木", "水口", "燕子", "鸭婆", "官田", "花园", "石坝"};
const std::vector<std::string> kVillageSuffixes = {"山", "塘", "湾", "冲", "桥", "坪", "岭", "铺",
                                                   "港", "坝", "洲", "垅", "园", "湖", ""};
const std::vector<std::string> kCommunitySuffixes = {"", "路", "坪", "园", "里", "街", "苑"};

struct Profile {
    int streets;                        // 街道
    int towns;                          // 镇
    int xiang;                          // 乡
    std::vector<std::string> prefixes;  // zones for roads and parks, e.g. 九华示范区
    std::vector<std::string> areas;     // 片区 for resettlement areas and land banking
    std::vector<std::string> rivers;    // for flood works
    std::vector<std::string> old_sites; // for shantytown renovation
};

Profile profile_for(std::string_view district) {
    if (district == "雨湖区") {
        return {10,
                3,
                1,
                {"九华示范区", "雨湖区", "雨湖高新区"},
                {"九华片区", "鹤岭片区", "长城片区", "姜畲片区", "楠竹山片区"},
                {"湘江", "涟水河", "雨湖"},
                {"电机厂", "江麓机械厂", "湘纺", "电缆厂", "平政路", "窑湾", "十八总", "河街",
                 "三义井", "雨湖路", "韶山西路", "风车坪", "湘潭电机厂宿舍"}};
    }
    if (district == "岳塘区") {
        return {10,
                1,
                1,
                {"昭山示范区", "岳塘区", "岳塘经开区"},
                {"昭山片区", "荷塘片区", "双马片区", "霞城片区", "宝塔片区"},
                {"湘江", "涓水"},
                {"钢铁厂", "锰矿", "建设路", "车站路", "板塘铺", "书院路", "五里堆", "农药厂",
                 "化纤厂", "棉纺厂", "湘机"}};
    }
    if (district == "湘潭县") {
        return {0,
                14,
                3,
                {"天易示范区", "湘潭县", "易俗河镇"},
                {"天易片区", "易俗河片区", "石潭片区", "中路铺片区", "河口片区"},
                {"涓水", "湘江", "涟水河", "石潭河"},
                {"易俗河老街", "县酒厂", "县农机厂", "天易老工业区", "河口老街"}};
    }
    if (district == "湘乡市") {
        return {4,
                17,
                1,
                {"湘乡市", "湘乡经开区"},
                {"东山片区", "棋梓片区", "龙洞片区", "金石片区", "昆仑桥片区"},
                {"涟水河", "测水", "孙水河"},
                {"湘乡铝厂", "望春门", "湘乡啤酒厂", "城北老街", "湘乡化工厂"}};
    }
    if (district == "韶山市") {
        return {0,
                2,
                2,
                {"韶山市", "韶山高新区"},
                {"银田片区", "清溪片区", "韶山乡片区", "杨林片区"},
                {"韶河", "银田河"},
                {"清溪老街", "银田老街"}};
    }
    return {4, 8, 2, {std::string(district)}, {std::string(district) + "城区"}, {"河"}, {"老城"}};
}

std::string short_name(const District& d) {
    // 湘潭县 -> 湘潭县 stays, 雨湖区 -> 雨湖; used in 段 names such as 雨湖段.
    std::string n = d.name;
    if (n.size() > 3 && (n.ends_with("区") || n.ends_with("市"))) {
        n.resize(n.size() - 3);
    }
    return n;
}

std::string unit_for_prefix(const std::string& prefix, const District& d) {
    if (prefix == d.name) {
        return district_unit(d);
    }
    return prefix + "征拆办";
}

const std::array<const char*, 10> kCnNum = {"一", "二", "三", "四", "五",
                                            "六", "七", "八", "九", "十"};

const std::vector<std::string> kRoadNames = {
    "芙蓉", "吉安", "白石", "杨柳", "金盆",   "滨江",   "红旗", "书院", "沿江", "建设",
    "晓塘", "双拥", "板塘", "湘江", "宝塔",   "福星",   "晓霞", "东风", "铁牛", "铜鼓",
    "莲城", "凤凰", "响水", "银杏", "香樟",   "桂花",   "河西", "梓园", "杨梅", "金霞",
    "和平", "五星", "先锋", "护潭", "湖湘",   "花石",   "青山", "云龙", "紫荆", "昭华",
    "九华", "天易", "吉利", "莲城", "荷塘",   "长丰",   "丹桂", "兴业", "科大", "学府",
    "金湖", "响塘", "湘钢", "中环", "南二环", "北二环", "潭州", "伏林", "白鹤"};
const std::vector<std::string> kRoadTypes = {
    "路", "大道", "东路", "西路", "南路", "北路", "路（北延线）", "路（南延线）", "大道（二期）"};
const std::vector<std::string> kIndustries = {
    "智能装备", "新能源汽车零部件", "电子信息",       "先进储能材料", "食品加工", "现代物流",
    "生物医药", "新材料",           "精品钢材深加工", "电机制造",     "节能环保"};
const std::vector<std::string> kSchools = {
    "实验小学", "实验中学", "第一中学", "外国语学校", "职业技术学校", "九年一贯制学校", "幼儿园"};
const std::vector<std::string> kPublic = {"中心医院新院区", "体育公园",     "污水处理厂（二期）",
                                          "公交首末站",     "文化艺术中心", "消防救援站",
                                          "农贸市场",       "变电站",       "垃圾转运站"};

} // namespace

std::string district_unit(const District& d) {
    if (d.name == "湘潭县") {
        return "湘潭县征拆指挥部";
    }
    return d.name + "征拆办";
}

TownRegistry build_towns(Rng& rng, const std::vector<District>& districts,
                         std::vector<Village>& villages) {
    TownRegistry reg;
    for (std::size_t di = 0; di < districts.size(); ++di) {
        const Profile prof = profile_for(districts[di].name);
        std::set<std::string> used;
        auto invent = [&](bool community) {
            for (int attempt = 0;; ++attempt) {
                std::string name = rng.pick(kRoots);
                name += community ? rng.pick(kCommunitySuffixes) : rng.pick(kVillageSuffixes);
                if (attempt > 50) {
                    name += fmt::format("{}", attempt); // practically unreachable
                }
                name += community ? "社区" : "村";
                if (used.insert(name).second) {
                    return name;
                }
            }
        };
        std::vector<Town> towns;
        auto add_town = [&](int code, int n_comm, int n_vill) {
            Town t;
            t.code = code;
            for (int k = 0; k < n_comm; ++k) {
                villages.push_back({di, code, 1 + k, true, invent(true), {1, 1}});
                t.communities.push_back(static_cast<std::uint32_t>(villages.size() - 1));
            }
            for (int k = 0; k < n_vill; ++k) {
                villages.push_back({di, code, 201 + k, false, invent(false), {1, 1}});
                t.villages.push_back(static_cast<std::uint32_t>(villages.size() - 1));
            }
            towns.push_back(std::move(t));
        };
        for (int k = 0; k < prof.streets; ++k) {
            add_town(1 + k, static_cast<int>(rng.integer(6, 14)),
                     static_cast<int>(rng.integer(0, 4)));
        }
        for (int k = 0; k < prof.towns; ++k) {
            // the first town of a county is its seat (many communities), e.g. 易俗河镇
            const int comm =
                (k == 0 && prof.streets == 0) ? 14 : static_cast<int>(rng.integer(1, 4));
            add_town(100 + k, comm, static_cast<int>(rng.integer(10, 24)));
        }
        for (int k = 0; k < prof.xiang; ++k) {
            add_town(200 + k, 1, static_cast<int>(rng.integer(8, 15)));
        }
        reg.by_district.push_back(std::move(towns));
    }
    return reg;
}

ProjectName invent_project_name(Rng& rng, Kind kind, const District& d,
                                std::set<std::string>& used) {
    const Profile prof = profile_for(d.name);
    for (int attempt = 0;; ++attempt) {
        ProjectName out;
        const std::string& prefix = rng.pick(prof.prefixes);
        out.unit = unit_for_prefix(prefix, d);
        switch (kind) {
        case Kind::Road: {
            const double r = rng.uniform();
            if (r < 0.6) {
                out.name = prefix + rng.pick(kRoadNames) + rng.pick(kRoadTypes);
                out.corridor_name = out.name + "主线";
                out.name += rng.chance(0.5) ? "工程" : "新建工程";
            } else if (r < 0.8) {
                const char* cls = rng.chance(0.5) ? "S" : "G";
                out.name =
                    fmt::format("{}{}{}段改扩建工程", cls, rng.integer(201, 342), short_name(d));
                out.corridor_name =
                    out.name.substr(0, out.name.size() - 3 * 5) + "主线"; // drop 改扩建工程
                out.unit = district_unit(d);
            } else {
                out.name = fmt::format("X{:03d}县道提质改造工程", rng.integer(1, 99));
                out.name = short_name(d) + out.name;
                out.corridor_name = out.name.substr(0, out.name.size() - 3 * 6);
                out.unit = district_unit(d);
            }
            break;
        }
        case Kind::Flood: {
            const std::string& river = rng.pick(prof.rivers);
            const char* side = rng.chance(0.5) ? "左岸" : "右岸";
            if (rng.chance(0.6)) {
                out.name = fmt::format("{}{}{}段防洪堤加固工程", river, rng.pick(kRoots), side);
            } else {
                out.name = fmt::format("{}{}治理工程（{}期）", river, short_name(d),
                                       kCnNum[static_cast<std::size_t>(rng.integer(0, 4))]);
            }
            out.corridor_name = river + side + "堤防";
            out.unit = district_unit(d);
            break;
        }
        case Kind::Renewal: {
            const std::string& site = rng.pick(prof.old_sites);
            const double r = rng.uniform();
            if (r < 0.45) {
                out.name = site + "及周边地块棚户区改造";
            } else if (r < 0.8) {
                out.name = fmt::format("{}片区棚户区改造（{}期）", site,
                                       kCnNum[static_cast<std::size_t>(rng.integer(0, 3))]);
            } else {
                out.name = site + "老旧片区房屋征收项目";
            }
            out.unit = district_unit(d);
            break;
        }
        case Kind::Block: {
            const std::string& area = rng.pick(prof.areas);
            const double r = rng.uniform();
            if (r < 0.4) {
                out.name = fmt::format("{}{}号安置区", area, rng.integer(1, 12));
            } else if (r < 0.7) {
                out.name = fmt::format("{}{}产业园（{}期）", prefix, rng.pick(kIndustries),
                                       kCnNum[static_cast<std::size_t>(rng.integer(0, 2))]);
            } else {
                out.name =
                    fmt::format("{}{}-{:02d}地块土地收储", area,
                                static_cast<char>('A' + rng.integer(0, 7)), rng.integer(1, 40));
            }
            break;
        }
        case Kind::School: {
            const std::string& area = rng.pick(prof.areas);
            std::string place = area.substr(0, area.size() - 6); // drop 片区
            if (rng.chance(0.55)) {
                out.name = place + rng.pick(kSchools) + "新建工程";
            } else {
                out.name = place + rng.pick(kPublic) + "项目";
            }
            break;
        }
        }
        if (attempt > 40) {
            out.name += fmt::format("（{}号）", attempt);
        }
        if (used.insert(out.name).second) {
            return out;
        }
    }
}

} // namespace landclear::sample
