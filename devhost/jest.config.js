/** The devhost's own tests (see jest.projects.js); the repository's root config runs the same projects. */
module.exports = { projects: require("./jest.projects") };
