// render-app-icons — writes the PEFT Studio logo as PNGs for the hicolor icon theme (and, where
// Qt has an ICO writer, a Windows .ico), painted by ui/app_logo.cpp's paintAppLogo().
//
// Why a tool instead of committed PNGs: the logo is defined once, as QPainter code mirrored by
// resources/icons/peft-studio.svg. Rendering at build time keeps every PNG in step with that code,
// and Debian's Qt has no SVG plugin (qt6-svg is not a dependency), so the SVG cannot be rasterised
// by Qt here.
//
//   render-app-icons --hicolor DIR [--sizes 16,32,...] [--ico FILE]
// writes DIR/<N>x<N>/apps/peft-studio.png for every size.
#include "app_logo.h"

#include <QCoreApplication>
#include <QDir>
#include <QImage>
#include <QImageWriter>
#include <QPainter>
#include <QStringList>

#include <cstdio>

namespace {

QImage renderLogo(int size) {
    QImage image(size, size, QImage::Format_ARGB32_Premultiplied);
    image.fill(Qt::transparent);
    QPainter painter(&image);
    ps::ui::paintAppLogo(painter, QRectF(0, 0, size, size));
    painter.end();
    return image;
}

bool writeImage(const QImage& image, const QString& file, const char* format) {
    QImageWriter writer(file, format);
    if (writer.write(image))
        return true;
    std::fprintf(stderr, "render-app-icons: error: cannot write %s: %s\n", qPrintable(file),
                 qPrintable(writer.errorString()));
    return false;
}

int usage() {
    std::fprintf(stderr, "usage: render-app-icons --hicolor DIR [--sizes 16,32,...] [--ico FILE]\n");
    return 2;
}

} // namespace

int main(int argc, char** argv) {
    QCoreApplication app(argc, argv); // plugin paths for the ICO writer
    QString hicolor;
    QString ico;
    QList<int> sizes{16, 22, 24, 32, 48, 64, 128, 256, 512};
    const QStringList args = QCoreApplication::arguments();
    for (int i = 1; i < args.size(); ++i) {
        const QString& arg = args[i];
        if (i + 1 >= args.size())
            return usage();
        const QString value = args[++i];
        if (arg == QLatin1String("--hicolor")) {
            hicolor = value;
        } else if (arg == QLatin1String("--ico")) {
            ico = value;
        } else if (arg == QLatin1String("--sizes")) {
            sizes.clear();
            for (const QString& s : value.split(QLatin1Char(','), Qt::SkipEmptyParts)) {
                bool ok = false;
                const int n = s.toInt(&ok);
                if (!ok || n < 8 || n > 1024)
                    return usage();
                sizes << n;
            }
        } else {
            return usage();
        }
    }
    if (hicolor.isEmpty() && ico.isEmpty())
        return usage();

    for (int size : sizes) {
        if (hicolor.isEmpty())
            break;
        const QString dir = QStringLiteral("%1/%2x%2/apps").arg(hicolor, QString::number(size));
        if (!QDir().mkpath(dir)) {
            std::fprintf(stderr, "render-app-icons: error: cannot create %s\n", qPrintable(dir));
            return 1;
        }
        if (!writeImage(renderLogo(size), dir + QStringLiteral("/peft-studio.png"), "png"))
            return 1;
    }
    // Windows shows the largest ICO frame scaled down well enough; one 256 px frame keeps the
    // writer simple (Qt's ICO handler writes a single image).
    if (!ico.isEmpty() && !writeImage(renderLogo(256), ico, "ico"))
        return 1;
    return 0;
}
