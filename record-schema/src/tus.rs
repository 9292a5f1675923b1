//! tus constants and Upload-Metadata keys shared by the phone's upload client and the server.
