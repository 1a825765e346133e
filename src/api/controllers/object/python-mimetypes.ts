/**
 * Python's built-in mimetypes table (mimetypes._types_map_default, strict types, as in the
 * Python 3.10 that Swift 2.30 ran on), which Swift's proxy consults first when it guesses an
 * object's Content-Type. Where it is silent, content-type.ts falls back to mime-db, standing in
 * for the host's /etc/mime.types that Python also reads. Keeping Python's answers matters where
 * the two disagree (.wav is audio/x-wav, .xml text/xml, .js application/javascript, .c text/plain),
 * because clients and Swift's functional tests see these values in HEADs and listings.
 */

/** Content type -> its extensions (without dots), in Python's table. */
const TABLE: Record<string, string> = {
  'application/javascript': 'js mjs',
  'application/json': 'json',
  'application/manifest+json': 'webmanifest',
  'application/msword': 'doc dot wiz',
  'application/octet-stream': 'bin a dll exe o obj so',
  'application/oda': 'oda',
  'application/pdf': 'pdf',
  'application/pkcs7-mime': 'p7c',
  'application/postscript': 'ps ai eps',
  'application/vnd.apple.mpegurl': 'm3u m3u8',
  'application/vnd.ms-excel': 'xls xlb',
  'application/vnd.ms-powerpoint': 'ppt pot ppa pps pwz',
  'application/wasm': 'wasm',
  'application/x-bcpio': 'bcpio',
  'application/x-cpio': 'cpio',
  'application/x-csh': 'csh',
  'application/x-dvi': 'dvi',
  'application/x-gtar': 'gtar',
  'application/x-hdf': 'hdf',
  'application/x-hdf5': 'h5',
  'application/x-latex': 'latex',
  'application/x-mif': 'mif',
  'application/x-netcdf': 'cdf nc',
  'application/x-pkcs12': 'p12 pfx',
  'application/x-pn-realaudio': 'ram',
  'application/x-python-code': 'pyc pyo',
  'application/x-sh': 'sh',
  'application/x-shar': 'shar',
  'application/x-shockwave-flash': 'swf',
  'application/x-sv4cpio': 'sv4cpio',
  'application/x-sv4crc': 'sv4crc',
  'application/x-tar': 'tar',
  'application/x-tcl': 'tcl',
  'application/x-tex': 'tex',
  'application/x-texinfo': 'texi texinfo',
  'application/x-troff': 'roff t tr',
  'application/x-troff-man': 'man',
  'application/x-troff-me': 'me',
  'application/x-troff-ms': 'ms',
  'application/x-ustar': 'ustar',
  'application/x-wais-source': 'src',
  'application/xml': 'xsl rdf wsdl xpdl',
  'application/zip': 'zip',
  'audio/3gpp': '3gp 3gpp',
  'audio/3gpp2': '3g2 3gpp2',
  'audio/aac': 'aac adts loas ass',
  'audio/basic': 'au snd',
  'audio/mpeg': 'mp3 mp2',
  'audio/opus': 'opus',
  'audio/x-aiff': 'aif aifc aiff',
  'audio/x-pn-realaudio': 'ra',
  'audio/x-wav': 'wav',
  'image/bmp': 'bmp',
  'image/gif': 'gif',
  'image/ief': 'ief',
  'image/jpeg': 'jpg jpe jpeg',
  'image/png': 'png',
  'image/svg+xml': 'svg',
  'image/tiff': 'tiff tif',
  'image/vnd.microsoft.icon': 'ico',
  'image/x-cmu-raster': 'ras',
  'image/x-portable-anymap': 'pnm',
  'image/x-portable-bitmap': 'pbm',
  'image/x-portable-graymap': 'pgm',
  'image/x-portable-pixmap': 'ppm',
  'image/x-rgb': 'rgb',
  'image/x-xbitmap': 'xbm',
  'image/x-xpixmap': 'xpm',
  'image/x-xwindowdump': 'xwd',
  'message/rfc822': 'eml mht mhtml nws',
  'text/css': 'css',
  'text/csv': 'csv',
  'text/html': 'html htm',
  'text/plain': 'txt bat c h ksh pl',
  'text/richtext': 'rtx',
  'text/tab-separated-values': 'tsv',
  'text/x-python': 'py',
  'text/x-setext': 'etx',
  'text/x-sgml': 'sgm sgml',
  'text/x-vcard': 'vcf',
  'text/xml': 'xml',
  'video/mp4': 'mp4',
  'video/mpeg': 'mpeg m1v mpa mpe mpg',
  'video/quicktime': 'mov qt',
  'video/webm': 'webm',
  'video/x-msvideo': 'avi',
  'video/x-sgi-movie': 'movie',
};

const BY_EXTENSION = new Map<string, string>();
for (const [type, exts] of Object.entries(TABLE)) {
  for (const ext of exts.split(' ')) if (ext) BY_EXTENSION.set(`.${ext}`, type);
}

/** Python's answer for an extension (".wav"): exact case first, then lower case, as guess_type. */
export function pythonTypeFor(ext: string): string | undefined {
  return BY_EXTENSION.get(ext) ?? BY_EXTENSION.get(ext.toLowerCase());
}
